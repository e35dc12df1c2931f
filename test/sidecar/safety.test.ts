// What the sidecar must never do (follow a symlink out of its directory, block on a FIFO) and
// what it must survive (a file it cannot remove, an invalid live annotation, SIGTERM).
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { Io } from '../../base/io.ts';
import { sidecarCommand } from '../../sidecar/command.ts';
import { startSidecar } from '../../sidecar/testing/sidecar-process.ts';
import { decompress } from '../../sidecar/testing/streams.ts';
import { makeTempDir } from '../../sidecar/testing/tmpdir.ts';

const temp = makeTempDir();
const immutable: string[] = [];
afterAll(() => {
  for (const path of immutable) execFileSync('chattr', ['-i', path]);
  temp.remove();
});

const DAY = 86_400_000;
const old = new Date(Date.now() - 2 * DAY);
const body = (tag: string, lines: number) =>
  Array.from({ length: lines }, (_, i) => `${tag} line ${i}\n`).join('');

function bufferIo() {
  let stderr = '';
  const io: Io = {
    stdout: { write: () => true },
    stderr: { write: (t: string) => (stderr += t) },
    stdin: new PassThrough(),
    env: {},
    stopSignal: new Promise(() => {}),
  };
  return {
    io,
    logs: () =>
      stderr
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
  };
}

describe('safety', () => {
  it('never follows a symlink out of DIR, ignores a FIFO, and reports a file it cannot remove by name', async () => {
    const outside = join(temp.dir, 'outside');
    const dir = join(temp.dir, 'logs');
    mkdirSync(outside);
    mkdirSync(dir);
    const precious = join(outside, 'precious.2021-01-01.log');
    writeFileSync(precious, body('precious', 5000));
    utimesSync(precious, old, old);
    symlinkSync(precious, join(dir, 'app.2021-01-01.log'));
    execFileSync('mkfifo', [join(dir, 'app.2021-01-02.log')]);
    const stuck = join(dir, 'app.2021-01-03.log');
    writeFileSync(stuck, body('stuck', 100));
    utimesSync(stuck, old, old);
    execFileSync('chattr', ['+i', stuck]);
    immutable.push(stuck);
    writeFileSync(join(dir, 'app.2021-01-04.log'), body('fine', 100));
    utimesSync(join(dir, 'app.2021-01-04.log'), old, old);
    writeFileSync(join(dir, 'app.log'), body('live', 10));

    const { io, logs } = bufferIo();
    expect(await sidecarCommand(['--dir', dir, '--once'], io)).toBe(1);

    expect(readFileSync(precious, 'utf8')).toBe(body('precious', 5000));
    expect(statSync(precious).mtimeMs).toBe(old.getTime());
    expect(readdirSync(outside)).toEqual(['precious.2021-01-01.log']);
    expect(lstatSync(join(dir, 'app.2021-01-01.log')).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(dir, 'app.2021-01-02.log')).isFIFO()).toBe(true);
    expect(readFileSync(stuck, 'utf8')).toBe(body('stuck', 100));
    expect(readdirSync(dir).sort()).toEqual([
      'app.2021-01-01.log',
      'app.2021-01-02.log',
      'app.2021-01-03.log',
      'app.2021-01-04.log',
      'app.2021-01-04.log.gz',
      'app.log',
    ]);
    expect(readFileSync(join(dir, 'app.2021-01-04.log'), 'utf8')).toBe('');
    expect(decompress(join(dir, 'app.2021-01-04.log.gz')).toString()).toBe(body('fine', 100));
    const failures = logs().filter((l) => l.msg === 'action_failed');
    expect(failures).toEqual([
      expect.objectContaining({
        level: 'error',
        action: 'compress',
        file: 'app.2021-01-03.log',
        code: 'EPERM',
        error: 'failed to compress "app.2021-01-03.log": EPERM',
      }),
    ]);
  });

  it('applies annotation changes live, refuses an invalid one naming the key, and stops on SIGTERM', async () => {
    const dir = join(temp.dir, 'live');
    const podinfo = join(temp.dir, 'podinfo');
    mkdirSync(dir);
    mkdirSync(podinfo);
    let version = 0;
    // The downward API's layout and its atomic update: a new timestamped directory, then a
    // `..data` symlink renamed over the old one; `annotations` points through `..data`.
    const publish = (lines: string[]) => {
      const versionDir = `..2021_01_0${++version}`;
      mkdirSync(join(podinfo, versionDir));
      writeFileSync(join(podinfo, versionDir, 'annotations'), `${lines.join('\n')}\n`);
      symlinkSync(versionDir, join(podinfo, '..data_tmp'));
      renameSync(join(podinfo, '..data_tmp'), join(podinfo, '..data'));
    };
    publish(['kubernetes.io/config.seen="2021-01-04T10:00:00Z"', 'logward.io/max-file-size="64Ki"']);
    symlinkSync('..data/annotations', join(podinfo, 'annotations'));

    const sidecar = startSidecar([
      '--dir',
      dir,
      '--annotations-file',
      join(podinfo, 'annotations'),
      '--size-limit',
      '1Gi',
      '--metrics-port',
      '0',
    ]);
    await sidecar.waitFor((e) => e.msg === 'started');
    const live = join(dir, 'app.log');
    appendFileSync(live, body('first', 8000));
    await sidecar.waitFor((e) => e.msg === 'capped');

    publish(['logward.io/max-file-size="64Ki"', 'logward.io/max-age="7days"']);
    const refused = await sidecar.waitFor((e) => e.msg === 'policy_refused');
    expect(refused).toMatchObject({
      level: 'error',
      key: 'logward.io/max-age',
      value: '7days',
      error: 'logward.io/max-age: "7days" is not a duration; use e.g. 12h or 7d',
    });
    // The previous policy stays in force: 64Ki still caps.
    const capsBefore = sidecar.logs.filter((e) => e.msg === 'capped').length;
    appendFileSync(live, body('second', 8000));
    await sidecar.waitFor(
      (e) => e.msg === 'capped' && sidecar.logs.filter((l) => l.msg === 'capped').length > capsBefore,
    );

    publish(['logward.io/max-file-size="2Mi"', 'logward.io/max-age="2d"']);
    const updated = await sidecar.waitFor((e) => e.msg === 'policy_updated');
    expect(updated.changed).toEqual(['maxFileBytes', 'maxAgeMs']);

    const { code, ms } = await sidecar.stop();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(3000);
    expect(sidecar.logs.at(-1)).toMatchObject({ msg: 'stopped' });
  });
});
