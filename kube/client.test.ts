import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../base/version.ts';
import { issue, type LocalhostTls, localhostTls } from '../test/support/certificates.ts';
import { KubeApiError, kubeClient } from './client.ts';
import { findCredentials } from './credentials.ts';
import { answer, scriptedApiServer, status } from './testing.ts';

let tls: LocalhostTls;
beforeAll(async () => {
  tls = await localhostTls('logward-kube-client-');
});
afterAll(() => tls.remove());

/** A kubeconfig for `server` with `user`, the CA inline. */
async function kubeconfig(name: string, server: string, user: Record<string, unknown>): Promise<string> {
  const path = join(tls.dir, `${name}.kubeconfig`);
  await writeFile(
    path,
    JSON.stringify({
      'current-context': 'test',
      clusters: [
        {
          name: 'test',
          cluster: { server, 'certificate-authority-data': Buffer.from(tls.ca.cert).toString('base64') },
        },
      ],
      users: [{ name: 'test', user }],
      contexts: [{ name: 'test', context: { cluster: 'test', user: 'test' } }],
    }),
  );
  return path;
}

async function clientFor(path: string) {
  const credentials = await findCredentials(path, {}, join(tls.dir, 'no-service-account'));
  return kubeClient(credentials!, { timeoutMs: 2_000 });
}

describe('the Kubernetes client', () => {
  it('names the component asking in its user agent, the webhook unless told', async () => {
    const api = await scriptedApiServer(tls, (_, res) => answer(res, 200, {}));
    try {
      const path = await kubeconfig('agent', api.url, { token: 'abc' });
      const credentials = await findCredentials(path, {}, join(tls.dir, 'no-service-account'));
      await kubeClient(credentials!).request('GET', '/version');
      await kubeClient(credentials!, { component: 'status' }).request('GET', '/version');
      expect(api.seen.map((seen) => seen.userAgent)).toEqual([
        `logward-webhook/${VERSION}`,
        `logward-status/${VERSION}`,
      ]);
    } finally {
      await api.close();
    }
  });

  it('authenticates with a client certificate or a token, and decodes the answer', async () => {
    const api = await scriptedApiServer(tls, (_, res) => answer(res, 200, { major: '1', minor: '33' }));
    const robot = await issue(tls.ca, {
      commonName: 'system:serviceaccount:logward-system:logward-webhook',
      usage: 'client',
    });
    try {
      const byCert = await clientFor(
        await kubeconfig('cert', api.url, {
          'client-certificate': robot.certFile,
          'client-key': robot.keyFile,
        }),
      );
      expect(await byCert.request('GET', '/version')).toEqual({ major: '1', minor: '33' });
      const byToken = await clientFor(await kubeconfig('token', `${api.url}/`, { token: 'abc' }));
      await byToken.request('PATCH', '/apis/x/v1/things/a', {
        body: [{ op: 'add', path: '/a', value: 1 }],
        contentType: 'application/json-patch+json',
      });
      expect(
        api.seen.map(({ method, path, clientCn, authorization, contentType, body }) => ({
          method,
          path,
          clientCn,
          authorization,
          contentType,
          body,
        })),
      ).toEqual([
        {
          method: 'GET',
          path: '/version',
          clientCn: 'system:serviceaccount:logward-system:logward-webhook',
          authorization: undefined,
          contentType: undefined,
          body: '',
        },
        {
          method: 'PATCH',
          path: '/apis/x/v1/things/a',
          clientCn: undefined,
          authorization: 'Bearer abc',
          contentType: 'application/json-patch+json',
          body: '[{"op":"add","path":"/a","value":1}]',
        },
      ]);
      byCert.close();
      byToken.close();
    } finally {
      await api.close();
    }
  });

  it('answers undefined for a 404 read, and a refusal with its status, path and the API server message', async () => {
    const api = await scriptedApiServer(tls, (seen, res) =>
      seen.path.includes('missing')
        ? answer(res, 404, status(404, 'NotFound', 'replicasets.apps "missing" not found'))
        : answer(
            res,
            403,
            status(403, 'Forbidden', 'secrets "tls" is forbidden: User "x" cannot get resource "secrets"'),
          ),
    );
    try {
      const client = await clientFor(await kubeconfig('errors', api.url, { token: 't' }));
      expect(await client.read('/apis/apps/v1/namespaces/shop/replicasets/missing')).toBeUndefined();
      const refused = await client.read('/api/v1/namespaces/logward-system/secrets/tls').catch((e) => e);
      expect(refused).toBeInstanceOf(KubeApiError);
      expect(refused).toMatchObject({
        status: 403,
        reason: 'Forbidden',
        message:
          'GET /api/v1/namespaces/logward-system/secrets/tls: 403 Forbidden: secrets "tls" is forbidden: User "x" cannot get resource "secrets"',
      });
      client.close();
    } finally {
      await api.close();
    }
  });

  it('re-reads a token file once after a 401, as when the kubelet rotated it', async () => {
    const tokenFile = join(tls.dir, 'token');
    await writeFile(tokenFile, 'old');
    const api = await scriptedApiServer(tls, (seen, res) =>
      seen.authorization === 'Bearer new'
        ? answer(res, 200, { ok: true })
        : answer(res, 401, status(401, 'Unauthorized', 'Unauthorized')),
    );
    try {
      const client = await clientFor(await kubeconfig('rotated', api.url, { tokenFile }));
      // A token that stays refused is an error after one retry, not a loop.
      await expect(client.request('GET', '/api/v1/namespaces')).rejects.toMatchObject({ status: 401 });
      // Rotated while the client holds the old one: refused once, read again, accepted.
      await writeFile(tokenFile, 'new');
      expect(await client.request('GET', '/api/v1/namespaces')).toEqual({ ok: true });
      expect(api.seen.map((s) => s.authorization)).toEqual([
        'Bearer old',
        'Bearer old',
        'Bearer old',
        'Bearer new',
      ]);
      client.close();
    } finally {
      await api.close();
    }
  });

  it('reads watch events however the stream is cut, and ends when the server ends it or the caller aborts', async () => {
    const events = [
      { type: 'ADDED', object: { metadata: { name: 'a', resourceVersion: '1' } } },
      { type: 'MODIFIED', object: { metadata: { name: 'a', resourceVersion: '2' } } },
      { type: 'BOOKMARK', object: { metadata: { resourceVersion: '3' } } },
    ];
    const text = events.map((e) => `${JSON.stringify(e)}\n`).join('');
    let hold = false;
    const api = await scriptedApiServer(tls, (_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      // Cut mid-line, as TCP may deliver it.
      res.write(text.slice(0, 17));
      setTimeout(() => (hold ? res.write(text.slice(17)) : res.end(text.slice(17))), 50);
    });
    try {
      const client = await clientFor(await kubeconfig('watch', api.url, { token: 't' }));
      const seen: string[] = [];
      await client.watch(
        '/api/v1/nodes?watch=true',
        (type, object) =>
          seen.push(`${type} ${(object.metadata as { resourceVersion: string }).resourceVersion}`),
        new AbortController().signal,
      );
      expect(seen).toEqual(['ADDED 1', 'MODIFIED 2', 'BOOKMARK 3']);
      hold = true;
      const stop = new AbortController();
      const watching = client.watch('/api/v1/nodes?watch=true', () => stop.abort(), stop.signal);
      await expect(watching).resolves.toBeUndefined();
      client.close();
    } finally {
      await api.close();
    }
  });

  it('hands an exec credential plugin to @kubernetes/client-node, and uses the token it gets', async () => {
    const plugin = join(tls.dir, 'credential-plugin.mjs');
    await writeFile(
      plugin,
      `process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'from-plugin' } }));`,
    );
    const api = await scriptedApiServer(tls, (_, res) => answer(res, 200, {}));
    try {
      const path = await kubeconfig('exec', api.url, {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: process.execPath,
          args: [plugin],
          interactiveMode: 'Never',
        },
      });
      const credentials = await findCredentials(path, {}, join(tls.dir, 'no-service-account'));
      expect(credentials?.source).toBe(
        `kubeconfig ${path} (context test, through @kubernetes/client-node for users[].user.exec)`,
      );
      const client = kubeClient(credentials!);
      await client.request('GET', '/api');
      expect(api.seen.map((s) => s.authorization)).toEqual(['Bearer from-plugin']);
      client.close();
    } finally {
      await api.close();
    }
  });
});
