// The real node itself: it runs what a user's cluster runs (restricted pods on containerd and
// runc, an emptyDir, a native sidecar, the API server through the kubernetes Service) without
// routing anything off its bridge, and it leaves the machine as it found it, even when the
// test fails with pods still running and kubelet and containerd gone.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type HostState, leftovers, readHostState } from './host.ts';
import { cleanStaleRuns, type RealNode, startNode } from './node.ts';
import { findRecords, isAlive } from './record.ts';
import { eventually, podJson, restrictedNamespace } from './workloads.ts';

const images = inject('nodeImages');
const ABANDONED_RUN = new URL('./fixtures/abandoned-run.ts', import.meta.url).pathname;
let before: HostState;
let node: RealNode;

beforeAll(async () => {
  before = await readHostState();
  node = await startNode({
    sandboxImage: images.pause!.ref,
    images: [images.pause!, images.going!].map((i) => ({ ref: i.ref, archive: i.archive })),
  });
});

afterAll(async () => {
  // Normally stopped by the last test; this covers a failure before it.
  await node?.stop();
});

describe('a real node', () => {
  it('runs a restricted pod with an emptyDir and a native sidecar, reaching only the API server', async () => {
    await node.kubectl(['apply', '-f', '-'], JSON.stringify(restrictedNamespace('harness')));
    const pod = podJson({
      name: 'probe',
      namespace: 'harness',
      image: images.going!.ref,
      volumes: [{ name: 'data', emptyDir: { sizeLimit: '8Mi' } }],
      initContainers: [
        {
          name: 'sidecar',
          restartPolicy: 'Always',
          command: ['sh', '-c', 'touch /data/sidecar-was-here; exec sleep 3600'],
          mounts: { data: '/data' },
        },
      ],
      containers: [
        {
          name: 'app',
          // The routes, whether the API server answers on the kubernetes Service, whether the
          // host's own gateway does (it must not), and a file on the emptyDir.
          command: [
            'sh',
            '-c',
            [
              'ip route > /data/routes',
              // Plain HTTP to an HTTPS port: Go's TLS server answers with a telltale 400.
              `printf 'GET /version HTTP/1.0\\r\\n\\r\\n' | timeout 10 nc -w 5 "$KUBERNETES_SERVICE_HOST" "$KUBERNETES_SERVICE_PORT" > /data/apiserver`,
              'gateway=$(ip route | grep -c default)',
              'echo "$gateway" > /data/default-routes',
              'grep Seccomp: /proc/self/status > /data/seccomp',
              'id -u > /data/uid',
              'exec sleep 3600',
            ].join('; '),
          ],
          mounts: { data: '/data' },
        },
      ],
    });
    await node.kubectl(['apply', '-f', '-'], JSON.stringify(pod));
    const running = await eventually('pod probe running with both containers ready', async () => {
      const current = JSON.parse(await node.kubectl(['get', 'pod', '-n', 'harness', 'probe', '-o', 'json']));
      const ready = [
        ...(current.status?.containerStatuses ?? []),
        ...(current.status?.initContainerStatuses ?? []),
      ];
      return ready.length === 2 && ready.every((c: { ready: boolean }) => c.ready) ? current : undefined;
    });
    const data = node.emptyDirPath(running.metadata.uid, 'data');
    await eventually('the app wrote its findings', async () => existsSync(`${data}/uid`) || undefined);

    expect(await readFile(`${data}/apiserver`, 'utf8')).toContain(
      'Client sent an HTTP request to an HTTPS server',
    );
    expect((await readFile(`${data}/default-routes`, 'utf8')).trim()).toBe('0');
    expect(await readFile(`${data}/routes`, 'utf8')).not.toMatch(/^default/m);
    expect((await readFile(`${data}/seccomp`, 'utf8')).trim()).toBe('Seccomp:\t2');
    expect((await readFile(`${data}/uid`, 'utf8')).trim()).toBe('1000');
    expect((await stat(`${data}/sidecar-was-here`)).uid).toBe(1000);
    expect(running.status.hostIP).toBe(node.address);
  });

  it('leaves no process, mount, cgroup, link, nftables table, iptables chain or directory behind', async () => {
    // As after a failed test, and worse: pods still running, kubelet and containerd killed.
    for (const proc of node.record.processes) {
      if (proc.name === 'kubelet' || proc.name === 'containerd') process.kill(proc.pid, 'SIGKILL');
    }
    const { record } = node;
    await node.stop();

    const after = await readHostState();
    expect(leftovers(before, after)).toEqual([]);
    expect(record.processes.filter((p) => isAlive(p.pid))).toEqual([]);
    expect(existsSync(record.dir)).toBe(false);
  });

  it('cleans up after a test process killed with its node up, at the next start', async () => {
    const beforeCrash = await readHostState();
    const archives = [images.pause!, images.going!].map((i) => ({ ref: i.ref, archive: i.archive }));
    const child = spawn(process.execPath, [ABANDONED_RUN, JSON.stringify(archives)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(child, 'exit');
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    await eventually(
      'the abandoned run to be ready',
      async () => {
        if (child.exitCode !== null)
          throw new Error(`abandoned-run.ts exited with ${child.exitCode}: ${out}`);
        return out.includes('ready ') ? true : undefined;
      },
      300_000,
    );
    const [record] = (await findRecords()).filter((r) => r.ownerPid === child.pid);
    expect(record, 'the abandoned run left its record').toBeDefined();
    expect(leftovers(beforeCrash, await readHostState()).length).toBeGreaterThan(0);
    child.kill('SIGKILL');
    await exited;

    await cleanStaleRuns();
    expect(leftovers(beforeCrash, await readHostState())).toEqual([]);
    expect(record!.processes.filter((p) => isAlive(p.pid))).toEqual([]);
    expect(existsSync(record!.dir)).toBe(false);
  });
});
