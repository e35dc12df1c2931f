import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryIo } from '../base/testing.ts';
import { run } from '../cli/run.ts';
import { KEYS } from '../contract/keys.ts';
import {
  type Authority,
  type Issued,
  issue,
  type LocalhostTls,
  localhostTls,
} from '../test/support/certificates.ts';
import { startWebhook } from '../test/support/webhook-process.ts';
import { resolveSidecarMode } from './cluster-version.ts';
import { parseWebhookArgs } from './command.ts';

let tls: LocalhostTls;
let dir: string;
let ca: Authority;
let serving: Issued;
beforeAll(async () => {
  tls = await localhostTls('logward-webhook-cmd-');
  ({ dir, ca, serving } = tls);
});
afterAll(() => tls.remove());

describe('logward webhook flags', () => {
  const tls = ['--tls-cert=a.crt', '--tls-key=a.key'];

  it.each([
    [
      [],
      '--tls-cert and --tls-key (or --tls-secret) are required: the API server only calls webhooks over HTTPS',
    ],
    [
      [...tls, '--tls-secret=s'],
      '--tls-secret and --tls-cert/--tls-key are two ways to get a certificate; use one',
    ],
    [[...tls, '--port=http'], '--port: "http" is not a port; use 0-65535'],
    [
      [...tls, '--sidecar-mode=sometimes'],
      '--sidecar-mode: "sometimes" is not a mode; use native, classic or auto',
    ],
    [
      [...tls, '--owner-lookup-timeout=2'],
      '--owner-lookup-timeout: "2" is not a duration; use e.g. 2s or 500ms',
    ],
    [[...tls, '--default-max-age=7days'], '--default-max-age: "7days" is not a duration; use e.g. 12h or 7d'],
    [
      [...tls, '--default-size-limit=1GB'],
      '--default-size-limit: "1GB" is not a positive Kubernetes quantity; use e.g. 512Mi or 2Gi',
    ],
  ])('%j is refused: %s', async (args, message) => {
    const io = memoryIo();
    expect(await run(['webhook', ...args], io.io)).toBe(2);
    expect(io.stderr()).toBe(`logward webhook: ${message}\n`);
  });

  it('names the unknown flag', async () => {
    const io = memoryIo();
    expect(await run(['webhook', '--tls-crt=x'], io.io)).toBe(2);
    expect(io.stderr()).toMatch(/Unknown option '--tls-crt'.*see logward webhook --help/);
  });

  it('always excludes the system namespaces and its own, and collects defaults by key', () => {
    const options = parseWebhookArgs(
      [...tls, '--excluded-namespaces=monitoring, ci', '--default-log-dir=/var/log/app'],
      {
        POD_NAMESPACE: 'logging',
      },
    );
    expect(options !== 'help' && [...options.excludedNamespaces]).toEqual([
      'kube-system',
      'kube-public',
      'kube-node-lease',
      'logging',
      'monitoring',
      'ci',
    ]);
    expect(options !== 'help' && options.defaults).toEqual({ [KEYS.logDir]: '/var/log/app' });
  });

  it('lists every default flag in --help', async () => {
    const io = memoryIo();
    expect(await run(['webhook', '--help'], io.io)).toBe(0);
    for (const flag of ['--default-log-dir', '--default-size-limit', '--default-max-age', '--sidecar-mode']) {
      expect(io.stdout()).toContain(flag);
    }
  });
});

describe('resolveSidecarMode', () => {
  const v = (minor: number) => ({ major: 1, minor, gitVersion: `v1.${minor}.0` });
  it.each([
    ['auto', v(28), 'classic'],
    ['auto', undefined, 'native'],
    ['classic', v(33), 'classic'],
    ['native', v(29), 'native'],
  ] as const)('%s on %j is %s', (flag, version, mode) => {
    expect(resolveSidecarMode(flag, version)).toMatchObject({ ok: true, mode });
  });

  const nodes = (...versions: string[]) =>
    versions.map((kubeletVersion, i) => ({ name: `node-${i}`, kubeletVersion }));
  it.each([
    [nodes('v1.33.1', 'v1.30.0-eks-1a2b', 'v1.31.0+k3s1'), 'native'],
    [nodes('v1.33.1', 'v1.28.9'), 'classic'],
    [nodes('v1.33.1', 'unknown'), 'classic'],
    [nodes(), 'native'],
    [undefined, 'classic'],
  ])('auto with kubelets %j is %s', (kubelets, mode) => {
    expect(resolveSidecarMode('auto', v(33), kubelets)).toMatchObject({ ok: true, mode });
  });

  it('names the node whose kubelet is too old', () => {
    expect(resolveSidecarMode('auto', v(33), nodes('v1.33.1', 'v1.28.9'))).toEqual({
      ok: true,
      mode: 'classic',
      why: 'node node-1 runs kubelet "v1.28.9", older than 1.29',
    });
    expect(resolveSidecarMode('native', v(33), nodes('v1.28.9'))).toMatchObject({ mode: 'native' });
  });

  it('refuses native on a server that would drop restartPolicy', () => {
    expect(resolveSidecarMode('native', v(28))).toEqual({
      ok: false,
      message:
        "--sidecar-mode=native: the API server is v1.28.0, older than 1.29, and would drop the sidecar's restartPolicy so pods hang in Init; use --sidecar-mode=classic or auto",
    });
  });
});

describe('logward webhook as a process', () => {
  it('serves the README example review, logs it within moments though review lines are batched, drains and exits 0 on SIGTERM, and writes no warning to stderr', async () => {
    const child: ChildProcess = spawn(
      process.execPath,
      [
        'cli/logward.ts',
        'webhook',
        `--tls-cert=${serving.certFile}`,
        `--tls-key=${serving.keyFile}`,
        '--host=127.0.0.1',
        '--port=0',
        '--metrics-port=0',
      ],
      {
        cwd: new URL('..', import.meta.url).pathname,
        env: { ...process.env, KUBECONFIG: '', HOME: dir },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    try {
      const entries: { msg?: string; uid?: string }[] = [];
      createInterface({ input: child.stdout! }).on('line', (line) => entries.push(JSON.parse(line)));
      const logged = async (what: string, match: (entry: (typeof entries)[number]) => boolean) => {
        for (let waited = 0; waited < 10_000; waited += 20) {
          const found = entries.find(match);
          if (found) return found;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        throw new Error(`no ${what} line in: ${JSON.stringify(entries)}`);
      };
      const started = (await logged(
        'webhook started',
        (entry) => !!entry.msg?.startsWith('webhook started'),
      )) as {
        msg: string;
        admission: { address: string; port: number }[];
        ops: { port: number }[];
        ownerLookup: string;
      };
      expect(started?.ownerLookup).toBe('off');
      expect(started?.msg).toBe(
        'webhook started without cluster credentials: owner and namespace lookups are off and auto means native',
      );
      const port = started!.admission[0]!.port;
      const body = readFileSync(new URL('./fixtures/pod-review.json', import.meta.url));
      const answer = await new Promise<string>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/mutate',
            method: 'POST',
            ca: ca.cert,
            headers: { 'content-type': 'application/json' },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve(Buffer.concat(chunks).toString()));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      expect(JSON.parse(answer).response).toMatchObject({ allowed: true, patchType: 'JSONPatch' });
      // Reviewed lines are written in batches, but one alone still comes out while nothing else happens.
      const { uid } = JSON.parse(body.toString()).request;
      expect(await logged('reviewed', (entry) => entry.msg === 'reviewed')).toMatchObject({ uid });
      const ready = await fetch(`http://127.0.0.1:${started!.ops[0]!.port}/readyz`);
      expect(ready.status).toBe(200);
      child.kill('SIGTERM');
      // 'close' once stdout has ended too, every line read.
      const [code] = await once(child, 'close');
      expect(code).toBe(0);
      expect(entries.at(-1)?.msg).toBe('shutting down: draining in-flight reviews');
      // A deprecation warning (fastify's FSTDEP023 was one) lands here, once per process.
      expect(stderr).toBe('');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('serves a renewed certificate from its files to new connections, without a restart', async () => {
    const tlsDir = await mkdtemp(join(dir, 'tls-'));
    const certFile = join(tlsDir, 'tls.crt');
    const keyFile = join(tlsDir, 'tls.key');
    await copyFile(serving.certFile, certFile);
    await copyFile(serving.keyFile, keyFile);
    const webhook = await startWebhook(
      [`--tls-cert=${certFile}`, `--tls-key=${keyFile}`, '--port=0', '--metrics-port=0'],
      {
        KUBECONFIG: '',
        HOME: dir,
      },
    );
    const serial = () =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(
          { host: '127.0.0.1', port: webhook.port, ca: ca.cert, servername: 'localhost' },
          () => {
            resolve(socket.getPeerCertificate().serialNumber);
            socket.end();
          },
        );
        socket.on('error', reject);
      });
    try {
      const before = await serial();
      const renewed = await issue(ca, {
        commonName: 'renewed.localhost',
        dnsNames: ['localhost'],
        ips: ['127.0.0.1'],
      });
      // As cert-manager does: two files, one after the other.
      await writeFile(certFile, renewed.cert);
      await writeFile(keyFile, renewed.key);
      const deadline = Date.now() + 10_000;
      let after = before;
      while (after === before && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        after = await serial();
      }
      expect(after).not.toBe(before);
      expect(webhook.logs.some((l) => l.msg === 'serving certificate reloaded')).toBe(true);
    } finally {
      expect(await webhook.stop()).toBe(0);
    }
  });
});
