import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, KubernetesObjectApi, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifests } from '../deploy/tools.ts';
import { type ControlPlane, startControlPlane } from './controlplane.ts';

const run = promisify(execFile);
const LOGWARD = new URL('../../cli/logward.ts', import.meta.url).pathname;
const INSTALL = new URL('../../deploy/install.yaml', import.meta.url).pathname;

let cp: ControlPlane;
let core: CoreV1Api;
let dir: string;

beforeAll(async () => {
  cp = await startControlPlane();
  core = cp.kubeConfig.makeApiClient(CoreV1Api);
  const objects = KubernetesObjectApi.makeApiClient(cp.kubeConfig);
  // The ClusterRole deploy/ ships for this, bound in one namespace only.
  await objects.create(
    readManifests(INSTALL).find(
      (m) => m.kind === 'ClusterRole' && m.metadata.name === 'logward-sidecar-events',
    )!,
  );
  for (const name of ['shop', 'other']) await core.createNamespace({ body: { metadata: { name } } });
  await cp.kubeConfig.makeApiClient(RbacAuthorizationV1Api).createNamespacedRoleBinding({
    namespace: 'shop',
    body: {
      metadata: { name: 'logward-sidecar-events' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'logward-sidecar-events' },
      subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: 'shop' }],
    },
  });
  dir = await mkdtemp(join(tmpdir(), 'logward-events-'));
}, 1_800_000);

afterAll(async () => {
  await cp?.stop();
  await rm(dir, { recursive: true, force: true });
});

/**
 * What kubelet gives the pod: a bound token of its ServiceAccount and the cluster CA, in a
 * directory like /var/run/secrets/kubernetes.io/serviceaccount.
 */
async function serviceAccountDir(namespace: string): Promise<string> {
  const tokenRequest = () =>
    core.createNamespacedServiceAccountToken({
      name: 'default',
      namespace,
      body: { spec: { expirationSeconds: 3600 } },
    });
  // The controller manager creates each namespace's default ServiceAccount shortly after it.
  let token: string | undefined;
  for (let tries = 0; token === undefined; tries++) {
    token = await tokenRequest().then(
      (answer) => answer.status?.token,
      async (error) => {
        if (tries > 100) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
        return undefined;
      },
    );
  }
  const saDir = await mkdtemp(join(dir, `${namespace}-sa-`));
  await writeFile(join(saDir, 'token'), token);
  await writeFile(join(saDir, 'ca.crt'), Buffer.from(cp.kubeConfig.getCurrentCluster()!.caData!, 'base64'));
  return saDir;
}

/** `logward sidecar --once` in the pod's environment, on a directory holding one live file that does not compress. */
async function lastResortSweep(namespace: string) {
  const logs = await mkdtemp(join(dir, `${namespace}-`));
  await writeFile(join(logs, 'app.log'), `${randomBytes(1_700_000).toString('base64')}\n`);
  const server = new URL(cp.server);
  const { stderr } = await run(
    process.execPath,
    [LOGWARD, 'sidecar', `--dir=${logs}`, '--size-limit=2Mi', '--once'],
    {
      env: {
        ...process.env,
        KUBECONFIG: '',
        KUBERNETES_SERVICE_HOST: server.hostname,
        KUBERNETES_SERVICE_PORT: server.port,
        LOGWARD_SERVICE_ACCOUNT_DIR: await serviceAccountDir(namespace),
        POD_NAME: 'going-0',
        POD_NAMESPACE: namespace,
        POD_UID: '',
      },
    },
  );
  return stderr
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { msg: string });
}

describe('sidecar Events', () => {
  it('records the last-resort cap on its pod when RBAC allows it', async () => {
    const logs = await lastResortSweep('shop');
    expect(logs.map((l) => l.msg)).toContain('last_resort_cap');
    expect(logs.map((l) => l.msg)).toContain('event_recorded');
    const events = await core.listNamespacedEvent({ namespace: 'shop' });
    expect(events.items).toContainEqual(
      expect.objectContaining({
        type: 'Warning',
        reason: 'LogwardLastResortCap',
        involvedObject: expect.objectContaining({ kind: 'Pod', name: 'going-0' }),
        message: expect.stringMatching(/^dropped the oldest \d+ bytes of live file "app.log"/),
      }),
    );
  });

  it('logs once and goes on where RBAC forbids Events', async () => {
    const logs = await lastResortSweep('other');
    expect(logs.filter((l) => l.msg === 'events_forbidden')).toHaveLength(1);
    expect((await core.listNamespacedEvent({ namespace: 'other' })).items).toEqual([]);
  });
});
