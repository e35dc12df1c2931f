// The webhook adopts an emptyDir that already has a sizeLimit smaller than the pod's
// size-limit annotation. kubelet evicts at the volume's limit, so the sidecar it injects must
// budget against that, whatever the annotations file it reads says.
import { randomBytes } from 'node:crypto';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Container } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { KEYS } from '../../contract/keys.ts';
import { decide } from '../../inject/decide.ts';
import { appPod, cluster, container } from '../../inject/testing.ts';
import { printedPlan, runSidecar } from '../../sidecar/testing/run-in-process.ts';
import { makeTempDir } from '../../sidecar/testing/tmpdir.ts';

const temp = makeTempDir();
afterAll(() => temp.remove());
const DAY = 86_400_000;
const MI = 2 ** 20;

describe('the real size limit of a reused volume', () => {
  it('is what the injected sidecar budgets against, though the annotations file says more', async () => {
    const annotations = { [KEYS.inject]: 'true', [KEYS.logDir]: '/log', [KEYS.sizeLimit]: '1Gi' };
    const decision = decide(
      appPod({
        annotations,
        spec: {
          volumes: [{ name: 'logs', emptyDir: { sizeLimit: '8Mi' } }],
          containers: [container('app', { volumeMounts: [{ name: 'logs', mountPath: '/log' }] })],
        },
      }),
      { ...cluster, namespace: 'shop', workloadAnnotations: {}, namespaceAnnotations: {} },
    );
    if (decision.kind !== 'inject') throw new Error(JSON.stringify(decision));
    const sidecar = decision.pod.spec!.initContainers!.find(
      (c: V1Container) => c.name === 'logward-sidecar',
    )!;

    // The pod's volume and its annotations file, as the sidecar would see them.
    const dir = join(temp.dir, 'volume');
    mkdirSync(dir);
    for (const [age, name] of [
      [3, 'app.log.3.gz'],
      [2, 'app.log.2.gz'],
      [1, 'app.log.1.gz'],
    ] as const) {
      writeFileSync(join(dir, name), randomBytes(3 * MI));
      const mtime = new Date(Date.now() - age * DAY);
      utimesSync(join(dir, name), mtime, mtime);
    }
    writeFileSync(join(dir, 'app.log'), 'live\n');
    const annotationsFile = join(temp.dir, 'annotations');
    writeFileSync(
      annotationsFile,
      Object.entries(decision.pod.metadata!.annotations!)
        .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
        .join('\n'),
    );
    const args = sidecar
      .args!.slice(1)
      .filter((arg) => !/^--(dir|annotations-file|metrics-port)=/.test(arg))
      .concat(['--dir', dir, '--annotations-file', annotationsFile, '--dry-run']);
    const run = await runSidecar(args);
    expect(run.code).toBe(0);
    // 9 MiB of history in an 8Mi volume: down to 80% of 8Mi, oldest first.
    expect(printedPlan(run).map((a) => [a.kind, a.file, a.reason])).toEqual([
      ['delete', 'app.log.3.gz', 'over_max_total_size'],
    ]);
  });
});
