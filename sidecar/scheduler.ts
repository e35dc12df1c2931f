// One scheduler runs every pass. Triggers (file events, cron, annotation changes) only add a
// reason and call schedule(); passes never overlap, a burst of events becomes one pass after a
// short debounce, and reasons arriving during a pass are drained by the next one.
export interface Scheduler {
  schedule(reason: string): void;
  /** Resolves when no pass is running or pending. */
  idle(): Promise<void>;
  /** Cancels pending passes and waits for the running one to end. */
  stop(): Promise<void>;
}

export function createScheduler(
  run: (reasons: ReadonlySet<string>) => Promise<void>,
  options: { debounceMs: number; onError: (error: unknown) => void },
): Scheduler {
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let idleWaiters: (() => void)[] = [];

  const settle = () => {
    if (running || timer || pending.size > 0) return;
    for (const resolve of idleWaiters) resolve();
    idleWaiters = [];
  };

  const loop = async () => {
    while (pending.size > 0 && !stopped) {
      const reasons = pending;
      pending = new Set();
      try {
        await run(reasons);
      } catch (error) {
        options.onError(error);
      }
    }
  };

  const fire = () => {
    timer = undefined;
    if (running || stopped) return;
    running = loop().finally(() => {
      running = undefined;
      // Reasons that arrived after the loop's last check wait for a fresh debounce.
      if (pending.size > 0 && !stopped) arm();
      settle();
    });
  };

  const arm = () => {
    if (!timer) timer = setTimeout(fire, options.debounceMs);
  };

  return {
    schedule(reason) {
      if (stopped) return;
      pending.add(reason);
      if (!running) arm();
    },
    idle() {
      return new Promise((resolve) => {
        idleWaiters.push(resolve);
        settle();
      });
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      pending.clear();
      await running;
      settle();
    },
  };
}
