// Disk usage as kubelet measures an emptyDir: allocated blocks (st_blocks * 512) of everything
// in the directory, not apparent sizes.
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export function allocatedBytes(dir: string, except?: (name: string) => boolean): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (except?.(entry.name)) continue;
    const path = join(dir, entry.name);
    const stats = lstatSync(path, { throwIfNoEntry: false });
    if (!stats) continue;
    total += stats.blocks * 512;
    if (entry.isDirectory()) total += allocatedBytes(path);
  }
  return total;
}

export function fileCount(dir: string, except?: (name: string) => boolean): number {
  return readdirSync(dir).filter((name) => !except?.(name)).length;
}

export interface Sample {
  /** ms since sampling started. */
  at: number;
  bytes: number;
}

/** Peak and the time spent above `limit` (each sample holds until the next). */
export function usageStats(samples: readonly Sample[], limit: number): { peak: number; msOverLimit: number } {
  let peak = 0;
  let msOverLimit = 0;
  for (let i = 0; i < samples.length; i++) {
    const sample = samples[i]!;
    peak = Math.max(peak, sample.bytes);
    const next = samples[i + 1];
    if (next && sample.bytes > limit) msOverLimit += next.at - sample.at;
  }
  return { peak, msOverLimit };
}

/** Calls `take` every `intervalMs` until stopped (and once more then); returns what it took. */
export function sampleEvery<T>(intervalMs: number, take: (at: number) => T | undefined): { stop(): T[] } {
  const samples: T[] = [];
  const started = performance.now();
  const once = () => {
    try {
      const sample = take(performance.now() - started);
      if (sample !== undefined) samples.push(sample);
    } catch {
      // A file vanishing mid-scan costs one sample, not the run.
    }
  };
  once();
  const timer = setInterval(once, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      once();
      return samples;
    },
  };
}
