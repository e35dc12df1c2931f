// Apps that do not behave like one writer appending to one file: a worker that goes quiet with
// its file open and then writes again, two workers with numbered files, an app that rotates its
// own files by renaming them. Every line any of them wrote must still be in the directory.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { startSidecar } from '../../sidecar/testing/sidecar-process.ts';
import { decompress } from '../../sidecar/testing/streams.ts';
import { makeTempDir } from '../../sidecar/testing/tmpdir.ts';

const HELD_WRITER = new URL('../../sidecar/testing/held-writer.ts', import.meta.url).pathname;
const ROTATING_WRITER = new URL('../../sidecar/testing/rotating-writer.ts', import.meta.url).pathname;
const temp = makeTempDir();
afterAll(() => temp.remove());
const DAY = 86_400_000;

/** A sidecar that looks every second and calls a file closed after one idle second. */
const EAGER = [
  '--size-limit',
  '1Gi',
  '--closed-after',
  '1s',
  '--schedule',
  '* * * * * *',
  '--metrics-port',
  '0',
];

/** A writer process holding `file` open; `write` resolves once the line is written. */
function heldWriter(file: string) {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [HELD_WRITER, file]);
  const acks = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    async write(line: string) {
      child.stdin.write(`${line}\n`);
      await acks.next();
    },
    async close() {
      child.stdin.end();
      await once(child, 'exit');
    },
  };
}

/** Every line of every file in `dir`, compressed ones decompressed. */
function everything(dir: string): string {
  return readdirSync(dir)
    .map((name) => decompress(join(dir, name)).toString('latin1'))
    .join('');
}

describe('late writes', () => {
  it('keeps the next line of a worker that went quiet while another worker kept writing', async () => {
    const dir = join(temp.dir, 'workers');
    mkdirSync(dir);
    const busy = heldWriter(join(dir, 'worker.1.log'));
    const quiet = heldWriter(join(dir, 'worker.2.log'));
    const sidecar = startSidecar(['--dir', dir, ...EAGER]);
    try {
      await sidecar.waitFor((e) => e.msg === 'started');
      await quiet.write('worker 2 before its pause');
      // Worker 1 keeps its file the newest for three seconds, three passes past closed-after.
      for (let i = 0; i < 30; i++) {
        await busy.write(`worker 1 line ${i}`);
        await sleep(100);
      }
      await quiet.write('worker 2 after its pause');
      await quiet.close();
      await busy.close();
      await sleep(1500);
    } finally {
      await sidecar.stop();
    }
    const text = everything(dir);
    expect(text).toContain('worker 2 before its pause\n');
    expect(text).toContain('worker 2 after its pause\n');
  });

  it('keeps a line written to a past day file after the sidecar archived it', async () => {
    const dir = join(temp.dir, 'past-day');
    mkdirSync(dir);
    const yesterday = heldWriter(join(dir, 'app.2021-01-01.log'));
    await yesterday.write('yesterday, before midnight');
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(join(dir, 'app.2021-01-01.log'), hourAgo, hourAgo);
    writeFileSync(join(dir, 'app.2021-01-02.log'), 'today\n');
    const sidecar = startSidecar(['--dir', dir, ...EAGER]);
    try {
      await sidecar.waitFor((e) => e.msg === 'compressed' && e.file === 'app.2021-01-01.log');
      // The app still held yesterday's file and flushes one more line into it.
      await yesterday.write('yesterday, flushed late');
      await yesterday.close();
      await sleep(1500);
    } finally {
      await sidecar.stop();
    }
    const text = everything(dir);
    expect(text).toContain('yesterday, before midnight\n');
    expect(text).toContain('yesterday, flushed late\n');
  });

  it('keeps every generation of an app that rotates its own files (Python RotatingFileHandler)', async () => {
    const dir = join(temp.dir, 'rotating');
    mkdirSync(dir);
    const sidecar = startSidecar(['--dir', dir, ...EAGER, '--max-files', '1000']);
    let last: number;
    try {
      await sidecar.waitFor((e) => e.msg === 'started');
      // 100 lines per generation, 2.5 s each: every generation is compressed before the next.
      const writer = spawn(process.execPath, [
        ROTATING_WRITER,
        ...['--file', join(dir, 'app.log'), '--max-bytes', '6000', '--backups', '1000'],
        ...['--lines', '500', '--pause-ms', '25'],
      ]);
      let out = '';
      writer.stdout.setEncoding('utf8').on('data', (text: string) => {
        out += text;
      });
      await once(writer, 'exit');
      last = Number(out.trim());
      await sleep(2000);
    } finally {
      await sidecar.stop();
    }
    expect(sidecar.logs.filter((e) => e.msg === 'compressed').length).toBeGreaterThanOrEqual(3);
    const numbers = everything(dir)
      .split('\n')
      .filter(Boolean)
      .map((line) => Number(line.slice(0, 9)));
    const missing = Array.from({ length: last }, (_, i) => i + 1).filter((n) => !numbers.includes(n));
    expect(missing).toEqual([]);
    expect(numbers.length).toBe(last);
  });

  it('never replaces an existing archive: a taken name makes it pick the next free one', async () => {
    const dir = join(temp.dir, 'taken');
    mkdirSync(dir);
    const old = new Date(Date.now() - DAY);
    writeFileSync(join(dir, 'app.log.1'), 'second generation\n');
    utimesSync(join(dir, 'app.log.1'), old, old);
    writeFileSync(join(dir, 'app.log'), 'live\n');
    const { gzipSync } = await import('node:zlib');
    writeFileSync(join(dir, 'app.log.1.gz'), gzipSync('first generation\n'));
    utimesSync(join(dir, 'app.log.1.gz'), new Date(old.getTime() - DAY), new Date(old.getTime() - DAY));
    const sidecar = startSidecar(['--dir', dir, ...EAGER]);
    try {
      await sidecar.waitFor((e) => e.msg === 'compressed' && e.file === 'app.log.1');
    } finally {
      await sidecar.stop();
    }
    const text = everything(dir);
    expect(text).toContain('first generation\n');
    expect(text).toContain('second generation\n');
  });
});
