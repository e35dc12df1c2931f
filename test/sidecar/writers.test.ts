// The sidecar as a real process against a real writer process: no line lost while it caps the
// live file many times, and usage bounded under a fast writer.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runLineWriter } from '../../sidecar/testing/line-writer-process.ts';
import { allocatedBytes, startSidecar } from '../../sidecar/testing/sidecar-process.ts';
import { lineNumbers, readParts, sequenceProblems, stripNuls } from '../../sidecar/testing/streams.ts';
import { makeTempDir } from '../../sidecar/testing/tmpdir.ts';

const temp = makeTempDir();
afterAll(() => temp.remove());

describe('logward sidecar with a writer', () => {
  it.each(['append', 'offset'] as const)(
    'loses no line of a %s writer while capping the live file many times',
    async (mode) => {
      const dir = join(temp.dir, `lines-${mode}`);
      mkdirSync(dir);
      const sidecar = startSidecar([
        '--dir',
        dir,
        '--metrics-port',
        '0',
        '--size-limit',
        '1Gi',
        '--max-file-size',
        '256Ki',
        '--max-files',
        '100000',
        '--compress-level',
        '1',
      ]);
      await sidecar.waitFor((e) => e.msg === 'started');
      const last = await runLineWriter(join(dir, 'app.log'), { mode, lines: 150_000 });
      // Let the sidecar finish what the last writes triggered, then stop it.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const { code, ms } = await sidecar.stop();
      expect(code).toBe(0);
      expect(ms).toBeLessThan(3000);
      const caps = sidecar.logs.filter((e) => e.msg === 'capped');
      expect(caps.length).toBeGreaterThanOrEqual(3);
      expect(sidecar.logs.filter((e) => e.level === 'error')).toEqual([]);
      const text = readParts(dir, 'app.log')
        .map((p) => stripNuls(p.content))
        .join('');
      expect(sequenceProblems(lineNumbers(text), last)).toEqual([]);
    },
  );

  it('keeps usage under the size limit with a fast writer, and under the budget in the steady state', async () => {
    const dir = join(temp.dir, 'bounded');
    mkdirSync(dir);
    const limit = 32 * 2 ** 20;
    const budget = limit * 0.8;
    const sidecar = startSidecar([
      '--dir',
      dir,
      '--metrics-port',
      '0',
      '--size-limit',
      '32Mi',
      '--compress-level',
      '1',
    ]);
    await sidecar.waitFor((e) => e.msg === 'started');
    const samples: { at: number; bytes: number }[] = [];
    const start = Date.now();
    const writer = runLineWriter(join(dir, 'app.log'), { lines: 64 * 1024, width: 1024, rate: 20 });
    let writing = true;
    void writer.finally(() => {
      writing = false;
    });
    while (writing) {
      samples.push({ at: Date.now() - start, bytes: allocatedBytes(dir) });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const lines = await writer;
    await sidecar.stop();
    const written = lines * 1024;
    const peak = Math.max(...samples.map((s) => s.bytes));
    const end = samples.at(-1)!.at;
    const steady = samples.filter((s) => s.at > end / 4);
    const steadyMean = steady.reduce((sum, s) => sum + s.bytes, 0) / steady.length;
    const summary = `wrote ${(written / 2 ** 20).toFixed(0)}Mi in ${end} ms; peak ${(peak / 2 ** 20).toFixed(1)}Mi; steady mean ${(steadyMean / 2 ** 20).toFixed(1)}Mi`;
    // 20 MiB/s, paced so a loaded CI machine still means the same test: twice the limit in ~3 s.
    expect(written, summary).toBeGreaterThanOrEqual(2 * limit);
    expect(peak, summary).toBeLessThan(limit);
    expect(steadyMean, summary).toBeLessThan(budget);
  });
});
