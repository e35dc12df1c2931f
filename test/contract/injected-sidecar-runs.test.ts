import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { KEYS } from '../../contract/keys.ts';
import { decide } from '../../inject/decide.ts';
import { SIDECAR_ANNOTATIONS_DIR, SIDECAR_LOGS_PATH } from '../../inject/names.ts';
import { appPod, cluster } from '../../inject/testing.ts';

const run = promisify(execFile);
const LOGWARD = new URL('../../cli/logward.ts', import.meta.url).pathname;

/** Go's %q for the plain strings we use: what kubelet writes into a downward API file. */
function downwardApi(annotations: Record<string, string>): string {
  return Object.entries(annotations)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .join('\n');
}

let dir: string;
afterEach(() => rm(dir, { recursive: true, force: true }));

/**
 * The sidecar container the webhook injects into a pod annotated `annotations`, with a fresh
 * `dir` as the node's root and the pod's annotations file written where kubelet mounts it.
 */
async function injectedSidecar(annotations: Record<string, string>) {
  dir = await mkdtemp(join(tmpdir(), 'logward-injected-'));
  const decision = decide(appPod({ annotations }), {
    ...cluster,
    namespace: 'shop',
    workloadAnnotations: {},
    namespaceAnnotations: {},
  });
  if (decision.kind !== 'inject') throw new Error(decision.kind);
  const annotationsDir = join(dir, SIDECAR_ANNOTATIONS_DIR);
  await mkdir(annotationsDir, { recursive: true });
  await writeFile(join(annotationsDir, 'annotations'), downwardApi(decision.pod.metadata!.annotations!));
  return decision.pod.spec!.initContainers!.at(-1)!;
}

/** One pass of the sidecar with the (re-rooted) arguments the webhook gave it. */
async function runOnce(args: string[]) {
  await run(process.execPath, [LOGWARD, ...args, '--once', '--metrics-port=0'], { timeout: 30_000 });
}

// What kubelet would start: the sidecar container the webhook wrote, its volumes at the paths
// the webhook chose (moved under a temporary root), and the pod's annotations file.
describe('the injected sidecar container', () => {
  it('runs with the arguments and annotations file the webhook gives it, and manages the log volume', async () => {
    const sidecar = await injectedSidecar({
      [KEYS.inject]: 'true',
      [KEYS.logDir]: '/log',
      [KEYS.closedAfter]: '1m',
      [KEYS.maxAge]: '3d',
    });
    const logs = join(dir, SIDECAR_LOGS_PATH);
    const annotationsDir = join(dir, SIDECAR_ANNOTATIONS_DIR);
    await mkdir(logs, { recursive: true });
    const old = Date.now() / 1000 - 3600;
    await writeFile(join(logs, 'going.2021-01-04.log'), 'yesterday\n'.repeat(1000));
    await utimes(join(logs, 'going.2021-01-04.log'), old, old);
    await writeFile(join(logs, 'going.2021-01-05.log'), 'today\n');

    const args = sidecar.args!.map((arg) =>
      arg
        .replace(`=${SIDECAR_LOGS_PATH}`, `=${logs}`)
        .replace(`=${SIDECAR_ANNOTATIONS_DIR}/`, `=${annotationsDir}/`),
    );
    expect(args[0]).toBe('sidecar');
    await runOnce(args);
    // Yesterday's file archived, then emptied in place (removed once older than max-age).
    expect((await readdir(logs)).sort()).toEqual([
      'going.2021-01-04.log',
      'going.2021-01-04.log.gz',
      'going.2021-01-05.log',
    ]);
    expect((await stat(join(logs, 'going.2021-01-04.log'))).size).toBe(0);
  });

  it('runs with two directories of log-dirs, each under its own policy, the override over the annotation', async () => {
    const sidecar = await injectedSidecar({
      [KEYS.inject]: 'true',
      [KEYS.logDirs]: '/var/log/nginx,/app/gc:max-age=1h',
      [KEYS.maxAge]: '3d',
    });
    const mounts = sidecar.volumeMounts!.slice(0, 2).map((m) => join(dir, m.mountPath));
    const twoHoursAgo = Date.now() / 1000 - 7200;
    for (const logs of mounts) {
      await mkdir(logs, { recursive: true });
      await writeFile(join(logs, 'app.log.1'), 'rotated two hours ago\n');
      await utimes(join(logs, 'app.log.1'), twoHoursAgo, twoHoursAgo);
      await writeFile(join(logs, 'app.log'), 'now\n');
    }
    const args = sidecar.args!.map((arg) =>
      arg.replace(/^--(dir|annotations-file)=\//, (_, flag: string) => `--${flag}=${dir}/`),
    );
    await runOnce(args);
    const [nginx, gc] = mounts as [string, string];
    // /var/log/nginx keeps a 2h-old rotated file (max-age 3d); /app/gc's own 1h deletes it.
    expect(await readdir(nginx)).toContain('app.log.1.gz');
    expect((await readdir(gc)).sort()).toEqual(['app.log']);
  });
});
