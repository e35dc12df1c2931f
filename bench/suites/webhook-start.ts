// 6b. Webhook start and memory: the time from spawning `logward webhook` (the JavaScript the
// image runs) to ready, which here means both: /readyz answers 200 and a review sent to /mutate
// gets its answer. Without cluster credentials, and with them against a real kube-apiserver
// (test/e2e/controlplane.ts), as the default install runs it: its own service account under
// the install's RBAC, the built-in TLS kept in a Secret (--tls-secret: the first start creates
// the CA, the next ones adopt it), --sidecar-mode=auto (server version and node list read
// before serving) and owner lookup on. Then, with credentials, a second of reviews at 1,000/s
// whose owner chain exists in that cluster, and the memory after it.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { request } from 'node:https';
import { join } from 'node:path';
import { CoreV1Api, KubernetesObjectApi, VersionApi } from '@kubernetes/client-node';
import { KEYS } from '../../contract/keys.ts';
import { find, type Manifest, ofKind, readManifests } from '../../test/deploy/tools.ts';
import { type ControlPlane, startControlPlane } from '../../test/e2e/controlplane.ts';
import { freePort } from '../../test/support/ports.ts';
import { builtCli, imageNodeOptions } from '../built-cli.ts';
import type { BenchConfig } from '../config.ts';
import { formatBytes, formatMs } from '../format.ts';
import { runCommand, sleep } from '../processes.ts';
import { memory } from '../procfs.ts';
import { makeCertificate, REVIEW } from './webhook.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const LOADGEN = new URL('../loadgen.ts', import.meta.url).pathname;
const NAMESPACE = 'logward-system';
const SECRET = 'logward-webhook-tls';

export interface StartTrial {
  /** From spawn until both /readyz said 200 and a review was answered. */
  readyMs: number;
  readyzMs: number;
  firstReviewMs: number;
  /** Resident memory once ready. */
  rssBytes: number;
}

export interface WebhookStartResult {
  withoutCredentials: StartTrial[];
  withCredentials: StartTrial[];
  /** With credentials, after `reviews` at 1,000/s whose owner the webhook read from the API server. */
  afterReviews?: {
    reviews: number;
    errors: number;
    ownerLookupFailures: number;
    rssBytes: number;
    rssPeakBytes: number;
  };
  /** What the with-credentials runs ran against. */
  cluster: string;
}

interface Started {
  child: ChildProcess;
  trial: StartTrial;
}

/** Spawns the webhook and polls every 10 ms until it is ready; throws if it exits or takes 30 s. */
async function startAndTime(
  cli: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ports: { admission: number; ops: number },
  log: string,
): Promise<Started> {
  const fd = openSync(log, 'w');
  const started = performance.now();
  const node = imageNodeOptions('Dockerfile.webhook');
  const child = spawn(process.execPath, [...node, cli, 'webhook', '--host=127.0.0.1', ...args], {
    env,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const body = readFileSync(REVIEW);
  let readyzMs: number | undefined;
  let firstReviewMs: number | undefined;
  while (readyzMs === undefined || firstReviewMs === undefined) {
    if (child.exitCode !== null)
      throw new Error(`webhook exited ${child.exitCode}: ${readFileSync(log, 'utf8')}`);
    if (performance.now() - started > 30_000) {
      child.kill('SIGKILL');
      throw new Error(`webhook not ready in 30 s: ${readFileSync(log, 'utf8').slice(0, 2000)}`);
    }
    const [readyz, review] = await Promise.all([
      readyzMs === undefined ? readyzOk(ports.ops) : true,
      firstReviewMs === undefined ? reviewAnswered(ports.admission, body) : true,
    ]);
    const now = performance.now() - started;
    if (readyz && readyzMs === undefined) readyzMs = now;
    if (review && firstReviewMs === undefined) firstReviewMs = now;
    if (!readyz || !review) await sleep(10);
  }
  return {
    child,
    trial: {
      readyMs: Math.max(readyzMs, firstReviewMs),
      readyzMs,
      firstReviewMs,
      rssBytes: memory(child.pid!).rss,
    },
  };
}

function readyzOk(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/readyz', timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** True once /mutate answers the review with an allowed response carrying a patch. */
function reviewAnswered(port: number, body: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/mutate',
        method: 'POST',
        // The certificate is checked by the runs that follow; here only "does it answer".
        rejectUnauthorized: false,
        agent: false,
        timeout: 2_000,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          try {
            const review = JSON.parse(Buffer.concat(chunks).toString());
            resolve(res.statusCode === 200 && review.response?.allowed === true && !!review.response.patch);
          } catch {
            resolve(false);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end(body);
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/** The namespace, service account, RBAC and webhook configurations of deploy/install.yaml, and the fixture's owner. */
async function prepareCluster(cp: ControlPlane, port: number): Promise<void> {
  const objects = KubernetesObjectApi.makeApiClient(cp.kubeConfig);
  const install = readManifests(join(ROOT, 'deploy/install.yaml'));
  const rbac = ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'];
  for (const m of install.filter((m) => rbac.includes(m.kind))) await objects.create(m);
  // The fixture's pod is owned by ReplicaSet shop/going-5d8f7c9b4: the owner lookup reads it.
  await cp.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: 'shop' } } });
  await objects.create({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'going-5d8f7c9b4', namespace: 'shop', annotations: { [KEYS.maxAge]: '3d' } },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'going' } },
      template: {
        metadata: { labels: { app: 'going' } },
        spec: { containers: [{ name: 'going', image: 'registry.example.com/going:2021.01' }] },
      },
    },
  });
  // Created last, so the ReplicaSet above is not sent to a webhook that is not running yet.
  for (const config of [
    find(install, 'MutatingWebhookConfiguration', 'logward'),
    ...ofKind(install, 'ValidatingWebhookConfiguration'),
  ] as Manifest[]) {
    const local: Manifest = {
      ...config,
      webhooks: config.webhooks.map((hook: Manifest) => ({
        ...hook,
        clientConfig: { url: `https://127.0.0.1:${port}${hook.clientConfig.service.path}` },
      })),
    };
    await objects.create(local);
  }
}

export async function webhookStart(
  config: BenchConfig['webhook'],
  root: string,
  log: (line: string) => void,
): Promise<WebhookStartResult> {
  const cli = await builtCli(root);
  const ports = { admission: await freePort(), ops: await freePort() };
  const portArgs = [`--port=${ports.admission}`, `--metrics-port=${ports.ops}`];
  const { cert, key } = await makeCertificate(root);
  const result: WebhookStartResult = { withoutCredentials: [], withCredentials: [], cluster: '' };

  for (let i = 0; i < config.startTrials; i++) {
    const { child, trial } = await startAndTime(
      cli,
      [`--tls-cert=${cert}`, `--tls-key=${key}`, ...portArgs],
      { ...process.env, KUBECONFIG: '', HOME: root },
      ports,
      join(root, 'start-without-credentials.log'),
    );
    await stop(child);
    result.withoutCredentials.push(trial);
    log(
      `  start without credentials: ready in ${formatMs(trial.readyMs)}, RSS ${formatBytes(trial.rssBytes)}`,
    );
  }

  const controlPlaneStarted = performance.now();
  const cp = await startControlPlane();
  try {
    const { gitVersion: version } = await cp.kubeConfig.makeApiClient(VersionApi).getCode();
    result.cluster = `kube-apiserver ${version} (test/e2e/controlplane.ts), started in ${formatMs(performance.now() - controlPlaneStarted)}`;
    log(`  ${result.cluster}`);
    await prepareCluster(cp, ports.admission);
    const identity = await cp.serviceAccountKubeConfig(NAMESPACE, 'logward-webhook');
    const args = [
      `--kubeconfig=${identity.kubeconfigPath}`,
      `--tls-secret=${SECRET}`,
      '--tls-extra-hosts=127.0.0.1',
      ...portArgs,
    ];
    const env = { ...process.env, KUBECONFIG: '', HOME: root, POD_NAMESPACE: NAMESPACE };
    for (let i = 0; i < config.startTrials; i++) {
      const { child, trial } = await startAndTime(
        cli,
        args,
        env,
        ports,
        join(root, 'start-with-credentials.log'),
      );
      result.withCredentials.push(trial);
      log(
        `  start with credentials${i === 0 ? ' (creates the CA)' : ''}: ready in ${formatMs(trial.readyMs)}, RSS ${formatBytes(trial.rssBytes)}`,
      );
      if (i < config.startTrials - 1) {
        await stop(child);
        continue;
      }
      try {
        result.afterReviews = await reviewsWithOwners(cp, child, ports, root);
        const a = result.afterReviews;
        log(
          `  with credentials after ${a.reviews} reviews at 1,000/s: RSS ${formatBytes(a.rssBytes)} (peak ${formatBytes(a.rssPeakBytes)}), ${a.errors} errors, ${a.ownerLookupFailures} owner lookup failures`,
        );
      } finally {
        await stop(child);
      }
    }
  } finally {
    await cp.stop();
  }
  return result;
}

/** Reviews at 1,000/s for a second, trusting the CA the webhook keeps in its Secret. */
async function reviewsWithOwners(
  cp: ControlPlane,
  child: ChildProcess,
  ports: { admission: number; ops: number },
  root: string,
): Promise<NonNullable<WebhookStartResult['afterReviews']>> {
  const secret = await cp.kubeConfig
    .makeApiClient(CoreV1Api)
    .readNamespacedSecret({ name: SECRET, namespace: NAMESPACE });
  const ca = join(root, 'webhook-ca.crt');
  writeFileSync(ca, Buffer.from(secret.data?.['ca.crt'] ?? '', 'base64'));
  const result = await runCommand(process.execPath, [
    LOADGEN,
    ...['--port', String(ports.admission), '--ca', ca, '--body', REVIEW],
    ...['--rate', '1000', '--ms', '1000', '--warmup-ms', '200', '--connections', '8', '--drain-ms', '2000'],
  ]);
  if (result.code !== 0) throw new Error(`loadgen exited ${result.code}: ${result.stderr.trim()}`);
  const summary = JSON.parse(result.stdout) as {
    completed: number;
    completedInWarmup: number;
    errors: number;
    unanswered: number;
  };
  const metrics = await (await fetch(`http://127.0.0.1:${ports.ops}/metrics`)).text();
  const failures = /^logward_webhook_owner_lookup_failures_total (\d+)/m.exec(metrics)?.[1];
  const { rss, hwm } = memory(child.pid!);
  return {
    reviews: summary.completed + summary.completedInWarmup,
    errors: summary.errors + summary.unanswered,
    ownerLookupFailures: Number(failures ?? 0),
    rssBytes: rss,
    rssPeakBytes: hwm,
  };
}
