// 3. Reaction: the time from a live file crossing max-file-size to its cap being done (the live
// file back under the size), for the Logward sidecar; logrotate acts only when its schedule
// runs it, so its reaction is the wait for the next run plus the run, measured here once.
import { closeSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchConfig } from '../config.ts';
import { median } from '../histogram.ts';
import { runLogrotate, writeLogrotateConfig } from '../logrotate.ts';
import { sleep } from '../processes.ts';
import { startSidecar } from '../sidecar.ts';

export interface ReactionResult {
  maxFileBytes: number;
  logward: { samplesMs: number[]; medianMs: number; maxMs: number; timeouts: number };
  logrotate: { runMs: number };
}

const TIMEOUT_MS = 10_000;

export async function reaction(config: BenchConfig['reaction'], root: string): Promise<ReactionResult> {
  const dir = join(root, 'reaction-logward');
  mkdirSync(dir);
  const threshold = config.maxFileBytes;
  const sidecar = await startSidecar([
    '--dir',
    dir,
    '--metrics-port',
    '0',
    '--size-limit',
    '1Gi',
    '--max-file-size',
    `${threshold / 1024}Ki`,
    '--max-files',
    '1000',
  ]);
  const live = join(dir, 'app.log');
  const fd = openSync(live, 'a');
  const samplesMs: number[] = [];
  let timeouts = 0;
  const line = Buffer.from(`${'r'.repeat(127)}\n`);
  const fill = (bytes: number) =>
    writeSync(fd, Buffer.concat(Array(Math.ceil(bytes / line.length)).fill(line)));
  try {
    for (let trial = 0; trial < config.trials; trial++) {
      // Just under the threshold, then a pause so the sidecar has seen it and gone quiet.
      fill(threshold - statSync(live).size - 64 * 1024);
      await sleep(300);
      fill(128 * 1024);
      const crossed = performance.now();
      let done = false;
      while (performance.now() - crossed < TIMEOUT_MS) {
        if (statSync(live).size < threshold) {
          done = true;
          break;
        }
        await sleep(1);
      }
      if (done) samplesMs.push(performance.now() - crossed);
      else timeouts++;
    }
  } finally {
    closeSync(fd);
    await sidecar.stop();
  }

  // One logrotate run on a file just over maxsize: the part of its reaction that is not waiting.
  const rotateDir = join(root, 'reaction-logrotate');
  mkdirSync(rotateDir);
  const rotateFd = openSync(join(rotateDir, 'app.log'), 'a');
  writeSync(rotateFd, Buffer.concat(Array(Math.ceil((threshold + 65536) / line.length)).fill(line)));
  closeSync(rotateFd);
  const setup = writeLogrotateConfig(rotateDir, 'app.log', { maxsize: threshold, rotate: 10 });
  const { ms } = await runLogrotate(setup, false);
  return {
    maxFileBytes: threshold,
    logward: {
      samplesMs,
      medianMs: median(samplesMs),
      maxMs: samplesMs.length > 0 ? Math.max(...samplesMs) : Number.NaN,
      timeouts,
    },
    logrotate: { runMs: ms },
  };
}
