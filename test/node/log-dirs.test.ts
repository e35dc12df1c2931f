// Several log directories on a real node: the pod `logward inject` and the webhook make of a
// `logward.io/log-dirs` pod (decide, the core both share), run by kubelet and containerd with
// the sidecar image built here. Two apps write into two directories, each faster than its own
// volume's size limit allows without the sidecar; one sidecar keeps both, each under its own
// limit, and no line of either is lost.
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KEYS } from '../../contract/keys.ts';
import { decide } from '../../inject/decide.ts';
import { countLines, missing } from './lines.ts';
import { allocatedBytes, readLogDir } from './measure.ts';
import { type RealNode, startNode } from './node.ts';
import { eventually, podJson, restrictedNamespace } from './workloads.ts';

const images = inject('nodeImages');
const MiB = 1024 * 1024;
const SECONDS = 100;
// Each app asks for about three times its directory's limit over the run (a loaded machine
// slows the shell app down; what it did write is checked against the limit).
const DIRS = {
  nginx: { path: '/var/log/nginx', limit: 16 * MiB, rate: 512 * 1024 },
  gc: { path: '/app/gc', limit: 6 * MiB, rate: 192 * 1024 },
} as const;

let node: RealNode;

beforeAll(async () => {
  node = await startNode({
    sandboxImage: images.pause!.ref,
    images: [images.pause!, images.going!, images['logward-sidecar']!].map((i) => ({
      ref: i.ref,
      archive: i.archive,
    })),
  });
});

afterAll(async () => {
  await node?.stop();
});

function appContainer(name: keyof typeof DIRS) {
  const dir = DIRS[name];
  return {
    name,
    env: {
      LOG_DIR: dir.path,
      RATE_BYTES: String(dir.rate),
      DAY_SECONDS: '20',
      SPILL_BYTES: String(2 * MiB),
      DURATION_SECONDS: String(SECONDS),
    },
  };
}

async function linesWritten(pod: string, container: string): Promise<number> {
  return eventually(
    `${container} to finish writing`,
    async () => {
      const logs = await node.kubectl(['logs', '-n', 'dirs', pod, '-c', container]);
      const done = /going: done lines=(\d+)/.exec(logs)?.[1];
      return done === undefined ? undefined : Number(done);
    },
    (SECONDS + 240) * 1000,
    2_000,
  );
}

describe('one sidecar, two log directories, on a real node', () => {
  it('keeps each directory under its own size limit, without eviction or a lost line', async () => {
    await node.kubectl(['apply', '-f', '-'], JSON.stringify(restrictedNamespace('dirs')));
    const app = podJson({
      name: 'two-dirs',
      namespace: 'dirs',
      image: images.going!.ref,
      annotations: {
        [KEYS.inject]: 'true',
        [KEYS.logDirs]: `${DIRS.nginx.path}:containers=nginx, ${DIRS.gc.path}:containers=gc;size-limit=6Mi`,
        [KEYS.sizeLimit]: '16Mi',
        // A finished day or spill is compressed within seconds, as in the seed scenario.
        [KEYS.closedAfter]: '10s',
        [KEYS.maxFiles]: '10000',
        [KEYS.schedule]: '*/5 * * * * *',
      },
      containers: [appContainer('nginx'), appContainer('gc')],
    }) as V1Pod;
    const decision = decide(app, {
      namespace: 'dirs',
      workloadAnnotations: {},
      namespaceAnnotations: {},
      defaults: {},
      excludedNamespaces: new Set(),
      image: { image: images['logward-sidecar']!.ref, pullPolicy: 'Never' },
      mode: 'native',
    });
    if (decision.kind !== 'inject') throw new Error(`expected inject, got ${JSON.stringify(decision)}`);
    await node.kubectl(['apply', '-f', '-'], JSON.stringify(decision.pod));

    const running = await eventually('pod two-dirs running with the sidecar ready', async () => {
      const current = JSON.parse(await node.kubectl(['get', 'pod', '-n', 'dirs', 'two-dirs', '-o', 'json']));
      const statuses = [
        ...(current.status?.containerStatuses ?? []),
        ...(current.status?.initContainerStatuses ?? []),
      ];
      return statuses.length === 3 && statuses.every((c: { ready: boolean }) => c.ready)
        ? current
        : undefined;
    });
    const volumeAt = (path: string) =>
      running.spec.containers
        .flatMap(
          (c: V1Pod['spec'] & { volumeMounts?: { name: string; mountPath: string }[] }) =>
            c.volumeMounts ?? [],
        )
        .find((m: { mountPath: string }) => m.mountPath === path).name as string;
    const paths = {
      nginx: node.emptyDirPath(running.metadata.uid, volumeAt(DIRS.nginx.path)),
      gc: node.emptyDirPath(running.metadata.uid, volumeAt(DIRS.gc.path)),
    };

    const peaks = { nginx: 0, gc: 0 };
    const finished = Promise.all([linesWritten('two-dirs', 'nginx'), linesWritten('two-dirs', 'gc')]);
    let writing = true;
    void finished.finally(() => {
      writing = false;
    });
    while (writing) {
      peaks.nginx = Math.max(peaks.nginx, await allocatedBytes(paths.nginx));
      peaks.gc = Math.max(peaks.gc, await allocatedBytes(paths.gc));
      await sleep(500);
    }
    const [nginxLines, gcLines] = await finished;
    await sleep(6_000);

    for (const [name, written] of [
      ['nginx', nginxLines],
      ['gc', gcLines],
    ] as const) {
      // A read can race a rotation in flight: a loss that is real is there on every read.
      let read = await readLogDir(paths[name]);
      let lost = missing(countLines(read.contents), written);
      for (let attempt = 1; attempt < 4 && lost.length > 0; attempt++) {
        await sleep(5_000);
        read = await readLogDir(paths[name]);
        lost = missing(countLines(read.contents), written);
      }
      const bytes = read.contents.reduce((sum, text) => sum + text.length, 0);
      const summary = `${name}: ${written} lines, ${(bytes / MiB).toFixed(1)} MiB written; peak ${(peaks[name] / MiB).toFixed(1)} MiB of ${DIRS[name].limit / MiB} MiB`;
      console.log(`log-dirs on a real node: ${summary}; ${read.files.length} files`);
      expect(bytes, summary).toBeGreaterThan(DIRS[name].limit);
      expect(lost.slice(0, 20), `${summary}; ${lost.length} lines lost`).toEqual([]);
      expect(countLines(read.contents).duplicates, summary).toBe(0);
      expect(peaks[name], summary).toBeLessThan(DIRS[name].limit);
      expect(
        read.files.some((f) => /\.(gz|zst)$/.test(f.name)),
        summary,
      ).toBe(true);
    }
    const current = JSON.parse(await node.kubectl(['get', 'pod', '-n', 'dirs', 'two-dirs', '-o', 'json']));
    expect(current.status.phase).toBe('Running');
    for (const status of [...current.status.containerStatuses, ...current.status.initContainerStatuses]) {
      expect(status.restartCount, status.name).toBe(0);
    }
    const sidecarLog = await node.kubectl(['logs', '-n', 'dirs', 'two-dirs', '-c', 'logward-sidecar']);
    expect(sidecarLog).toContain('"dirs":["/var/log/nginx","/app/gc"]');
    expect(sidecarLog).not.toContain('"level":"error"');
    await node.stop();
  });
});
