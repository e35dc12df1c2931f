// One sidecar process keeping two directories, each written by its own writer process: each
// stays under its own size limit and budget, files never cross from one to the other, and the
// metrics tell the two apart.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runLineWriter } from '../../sidecar/testing/line-writer-process.ts';
import { allocatedBytes, startSidecar } from '../../sidecar/testing/sidecar-process.ts';
import { makeTempDir } from '../../sidecar/testing/tmpdir.ts';

const temp = makeTempDir();
afterAll(() => temp.remove());
const MI = 2 ** 20;

describe('logward sidecar with several directories', () => {
  it('keeps each of two written directories under its own limit and budget, apart from the other', async () => {
    const nginx = join(temp.dir, 'nginx');
    const gc = join(temp.dir, 'gc');
    mkdirSync(nginx);
    mkdirSync(gc);
    // Not logs: in both directories, and never touched by either manager.
    writeFileSync(join(nginx, 'cache.db'), 'nginx data\n');
    writeFileSync(join(gc, 'cache.db'), 'gc data\n');
    const limits = { nginx: 32 * MI, gc: 8 * MI };
    const sidecar = startSidecar([
      `--dir=${nginx}:app-dir=/var/log/nginx;volume-size-limit=32Mi`,
      `--dir=${gc}:app-dir=/app/gc;volume-size-limit=8Mi;size-limit=8Mi;max-files=3`,
      '--size-limit=32Mi',
      '--compress-level=1',
      '--metrics-port=0',
    ]);
    const started = await sidecar.waitFor((e) => e.msg === 'started');
    expect(started.dirs).toEqual(['/var/log/nginx', '/app/gc']);

    const peaks = { nginx: 0, gc: 0 };
    const writers = Promise.all([
      runLineWriter(join(nginx, 'access.log'), { lines: 64 * 1024, width: 1024, rate: 16 }),
      runLineWriter(join(gc, 'gc.log'), { lines: 16 * 1024, width: 1024, rate: 4 }),
    ]);
    let writing = true;
    void writers.finally(() => {
      writing = false;
    });
    while (writing) {
      peaks.nginx = Math.max(peaks.nginx, allocatedBytes(nginx));
      peaks.gc = Math.max(peaks.gc, allocatedBytes(gc));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const [nginxLines, gcLines] = await writers;
    // Twice each limit written, each directory below its own limit throughout.
    expect(nginxLines * 1024).toBeGreaterThanOrEqual(2 * limits.nginx);
    expect(gcLines * 1024).toBeGreaterThanOrEqual(2 * limits.gc);
    expect(peaks.nginx).toBeLessThan(limits.nginx);
    expect(peaks.gc).toBeLessThan(limits.gc);

    // Once the writers are done, each within its own budget (80% of its own limit).
    const metricsUrl = `http://127.0.0.1:${started.metrics_port}/metrics`;
    await until(async () => {
      const text = await (await fetch(metricsUrl)).text();
      return (
        gauge(text, 'logward_sidecar_usage_bytes', '/var/log/nginx') <= limits.nginx * 0.8 &&
        gauge(text, 'logward_sidecar_usage_bytes', '/app/gc') <= limits.gc * 0.8
      );
    });
    const text = await (await fetch(metricsUrl)).text();
    expect(gauge(text, 'logward_sidecar_budget_bytes', '/var/log/nginx')).toBe(
      Math.floor(limits.nginx * 0.8),
    );
    expect(gauge(text, 'logward_sidecar_budget_bytes', '/app/gc')).toBe(Math.floor(limits.gc * 0.8));
    expect(gauge(text, 'logward_sidecar_limit_bytes', '/app/gc')).toBe(limits.gc);
    expect(allocatedBytes(nginx)).toBeLessThanOrEqual(limits.nginx * 0.8);
    expect(allocatedBytes(gc)).toBeLessThanOrEqual(limits.gc * 0.8);
    // One family per metric, a series per directory: valid exposition for Prometheus.
    expect(text.match(/^# TYPE logward_sidecar_usage_bytes gauge$/gm)).toHaveLength(1);

    const { code } = await sidecar.stop();
    expect(code).toBe(0);
    // Each directory holds only its own stream and its own untouched non-log file.
    expect(
      readdirSync(nginx)
        .filter((name) => !name.startsWith('access.'))
        .sort(),
    ).toEqual(['cache.db']);
    expect(
      readdirSync(gc)
        .filter((name) => !name.startsWith('gc.'))
        .sort(),
    ).toEqual(['cache.db']);
    expect(readFileSync(join(nginx, 'cache.db'), 'utf8')).toBe('nginx data\n');
    expect(readFileSync(join(gc, 'cache.db'), 'utf8')).toBe('gc data\n');
    // gc's own max-files, not nginx's default of 10: at most 3 rotated files besides the live one.
    const rotated = readdirSync(gc).filter((name) => name.startsWith('gc.') && name !== 'gc.log');
    expect(rotated.length).toBeGreaterThan(0);
    expect(rotated.length).toBeLessThanOrEqual(3);
    // Every line a manager logged about files names its directory.
    const capped = sidecar.logs.filter((e) => e.msg === 'capped');
    expect(new Set(capped.map((e) => e.app_dir))).toEqual(new Set(['/var/log/nginx', '/app/gc']));
    expect(sidecar.logs.filter((e) => e.level === 'error')).toEqual([]);
  });
});

/** The value of an unlabelled-but-for-dir gauge in Prometheus text. */
function gauge(text: string, name: string, dir: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{dir="${dir}"} `));
  if (line === undefined) throw new Error(`no ${name} for ${dir} in:\n${text}`);
  return Number(line.split(' ').at(-1));
}

async function until(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
