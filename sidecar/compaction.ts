// One compacting garbage collection when the sidecar goes quiet after work. V8 collects when
// allocation presses, and a quiet sidecar allocates almost nothing: without this, the heap that
// start-up or a burst of caps grew stays resident, in every pod, until the next burst. A
// last-resort collection compacts the old space, shrinks the young one and returns the freed
// pages (about 1.4 MiB of an idle sidecar's resident memory; docs/benchmarks.md, Footprint).
// V8 offers it only as the `gc` global of `--expose-gc`, which the image's ENTRYPOINT sets;
// without the flag (the sources, the tests) this does nothing.

export type CollectGarbage = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

export interface Compaction {
  /** Work started: a pending collection waits for the next quiet. */
  busy(): void;
  /**
   * Work ended. After work that grew the heap (`grew`), or with a collection still owed from
   * before, collect once nothing else has happened for the quiet period.
   */
  settled(grew: boolean): void;
  stop(): void;
}

/** The collector `--expose-gc` installs, if the process has it. */
export function exposedCollector(): CollectGarbage | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as CollectGarbage) : undefined;
}

export function compactWhenQuiet(collect: CollectGarbage | undefined, quietMs: number): Compaction {
  let timer: NodeJS.Timeout | undefined;
  let owed = false;
  const cancel = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  return {
    busy: cancel,
    settled(grew) {
      if (!collect) return;
      owed ||= grew;
      if (!owed) return;
      cancel();
      timer = setTimeout(() => {
        timer = undefined;
        owed = false;
        collect({ type: 'major', execution: 'sync', flavor: 'last-resort' });
      }, quietMs);
      // Never what keeps the process alive.
      timer.unref();
    },
    stop: cancel,
  };
}
