import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCredentials } from './credentials.ts';
import { pemBytes, readKubeconfig, resolveContext } from './kubeconfig.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'logward-kubeconfig-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const b64 = (text: string) => Buffer.from(text).toString('base64');

function config(current: string | undefined, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    ...(current ? { 'current-context': current } : {}),
    clusters: [
      { name: 'prod', cluster: { server: 'https://10.0.0.1:6443', 'certificate-authority-data': b64('CA') } },
    ],
    users: [{ name: 'robot', user: { token: 'secret-token' } }],
    contexts: [{ name: 'prod', context: { cluster: 'prod', user: 'robot' } }],
    ...extra,
  };
}

describe('kubeconfig', () => {
  it('resolves the current context: server, inline CA and token', () => {
    const context = resolveContext([config('prod')], 'test');
    expect(context).toMatchObject({
      context: 'prod',
      server: 'https://10.0.0.1:6443',
      token: 'secret-token',
    });
    expect(pemBytes(context.ca)?.toString()).toBe('CA');
    expect(context.needs).toEqual([]);
  });

  it('reads YAML, with file names relative to the kubeconfig, as kubectl does', async () => {
    const sub = join(dir, 'yaml');
    await mkdir(join(sub, 'pki'), { recursive: true });
    await writeFile(join(sub, 'pki', 'ca.crt'), 'CA FROM FILE');
    await writeFile(join(sub, 'pki', 'client.crt'), 'CERT');
    await writeFile(join(sub, 'pki', 'client.key'), 'KEY');
    await writeFile(
      join(sub, 'config'),
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: dev # as kind writes it',
        'clusters:',
        '- name: dev',
        '  cluster:',
        '    server: https://127.0.0.1:6443/',
        '    certificate-authority: pki/ca.crt',
        '    tls-server-name: kubernetes',
        'users:',
        '- name: admin',
        '  user:',
        '    client-certificate: pki/client.crt',
        '    client-key: pki/client.key',
        'contexts:',
        '- name: dev',
        '  context: {cluster: dev, user: admin}',
      ].join('\n'),
    );
    const context = await readKubeconfig([join(sub, 'config')]);
    expect(context.ca).toEqual({ file: join(sub, 'pki', 'ca.crt') });
    expect(pemBytes(context.ca)?.toString()).toBe('CA FROM FILE');
    expect(pemBytes(context.cert)?.toString()).toBe('CERT');
    expect(pemBytes(context.key)?.toString()).toBe('KEY');
    expect(context.tlsServerName).toBe('kubernetes');
  });

  it('merges a $KUBECONFIG list: the first file to name a context, cluster or user wins; missing files are skipped', async () => {
    const first = join(dir, 'first.json');
    const second = join(dir, 'second.json');
    // The first sets no current-context and defines "prod" differently; the second sets it.
    await writeFile(
      first,
      JSON.stringify({
        clusters: [{ name: 'prod', cluster: { server: 'https://first:6443' } }],
        users: [],
        contexts: [],
      }),
    );
    await writeFile(second, JSON.stringify(config('prod')));
    const context = await readKubeconfig([join(dir, 'missing.json'), first, second]);
    expect(context.server).toBe('https://first:6443');
    expect(context.token).toBe('secret-token');
  });

  it('uses the context chosen by --context instead of current-context, with its namespace', () => {
    const two = config('prod', {
      clusters: [
        { name: 'prod', cluster: { server: 'https://10.0.0.1:6443' } },
        { name: 'lab', cluster: { server: 'https://10.9.0.1:6443' } },
      ],
      contexts: [
        { name: 'prod', context: { cluster: 'prod', user: 'robot' } },
        { name: 'lab', context: { cluster: 'lab', user: 'robot', namespace: 'shop' } },
      ],
    });
    expect(resolveContext([two], 'FILE')).toMatchObject({ context: 'prod', server: 'https://10.0.0.1:6443' });
    expect(resolveContext([two], 'FILE', 'lab')).toMatchObject({
      context: 'lab',
      server: 'https://10.9.0.1:6443',
      namespace: 'shop',
    });
    expect(() => resolveContext([two], 'FILE', 'nowhere')).toThrow(
      'kubeconfig FILE: contexts has no entry named "nowhere"',
    );
  });

  it('names the field at fault', async () => {
    expect(() => resolveContext([config(undefined)], 'FILE')).toThrow(
      'kubeconfig FILE: current-context is not set; choose one with kubectl config use-context NAME',
    );
    expect(() => resolveContext([config('staging')], 'FILE')).toThrow(
      'kubeconfig FILE: contexts has no entry named "staging"',
    );
    expect(() =>
      resolveContext([config('prod', { clusters: [{ name: 'prod', cluster: {} }] })], 'FILE'),
    ).toThrow('kubeconfig FILE: cluster "prod" has no server; set clusters[].cluster.server');
    await writeFile(join(dir, 'list.yaml'), '- one\n- two\n');
    await expect(readKubeconfig([join(dir, 'list.yaml')])).rejects.toThrow(
      'is not a mapping of clusters, users and contexts',
    );
    await expect(readKubeconfig([join(dir, 'absent')])).rejects.toThrow(/cannot read kubeconfig ".*absent"/);
  });

  it('names what it leaves to @kubernetes/client-node: exec plugins, auth providers, proxies, impersonation', () => {
    const context = resolveContext(
      [
        config('prod', {
          clusters: [{ name: 'prod', cluster: { server: 'https://x', 'proxy-url': 'socks5://proxy:1080' } }],
          users: [{ name: 'robot', user: { exec: { command: 'aws' }, as: 'someone' } }],
        }),
      ],
      'FILE',
    );
    expect(context.needs).toEqual(['clusters[].cluster.proxy-url', 'users[].user.exec', 'users[].user.as']);
  });
});

describe('finding credentials', () => {
  const serviceAccount = async () => {
    const sa = await mkdtemp(join(dir, 'sa-'));
    await writeFile(join(sa, 'token'), 'pod-token\n');
    await writeFile(join(sa, 'ca.crt'), 'CLUSTER CA');
    return sa;
  };

  it('in a pod: the service account token, re-read when asked after a rotation', async () => {
    const sa = await serviceAccount();
    const credentials = await findCredentials(
      undefined,
      { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' },
      sa,
    );
    expect(credentials?.server).toBe('https://[fd00::1]:443');
    expect(credentials?.source).toMatch(/^in-cluster/);
    const options: RequestOptions = {};
    await credentials!.apply(options);
    expect(String(options.ca)).toBe('CLUSTER CA');
    expect((options.headers as Record<string, string>).authorization).toBe('Bearer pod-token');
    await writeFile(join(sa, 'token'), 'rotated-token\n');
    credentials!.refresh();
    await credentials!.apply(options);
    expect((options.headers as Record<string, string>).authorization).toBe('Bearer rotated-token');
  });

  it('--kubeconfig wins over the pod, $KUBECONFIG over ~/.kube/config; none at all is undefined', async () => {
    const sa = await serviceAccount();
    const file = join(dir, 'flag.json');
    await writeFile(file, JSON.stringify(config('prod')));
    const pod = { KUBERNETES_SERVICE_HOST: '10.0.0.1', HOME: dir };
    expect((await findCredentials(file, pod, sa))?.source).toBe(`kubeconfig ${file} (context prod)`);
    expect((await findCredentials(undefined, { KUBECONFIG: file }, join(dir, 'none')))?.server).toBe(
      'https://10.0.0.1:6443',
    );
    expect(
      await findCredentials(undefined, { KUBECONFIG: '', HOME: dir }, join(dir, 'none')),
    ).toBeUndefined();
    await mkdir(join(dir, '.kube'));
    await writeFile(join(dir, '.kube', 'config'), JSON.stringify(config('prod')));
    expect((await findCredentials(undefined, { HOME: dir }, join(dir, 'none')))?.source).toBe(
      `kubeconfig ${join(dir, '.kube', 'config')} (context prod)`,
    );
  });

  it('refuses a server that is not https, saying why', async () => {
    const file = join(dir, 'http.json');
    await writeFile(
      file,
      JSON.stringify(
        config('prod', { clusters: [{ name: 'prod', cluster: { server: 'http://127.0.0.1:8001' } }] }),
      ),
    );
    await expect(findCredentials(file, {}, join(dir, 'none'))).rejects.toThrow(
      'server "http://127.0.0.1:8001" is not https; the webhook talks to the API server over TLS only',
    );
  });
});
