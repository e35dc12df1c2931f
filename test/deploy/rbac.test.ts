import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AdmissionregistrationV1Api,
  AppsV1Api,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  EventsV1Api,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { cluster } from '../../inject/testing.ts';
import { gather, readWebhookFlags } from '../../status/gather.ts';
import { fakeApi, injectedPod } from '../../status/testing.ts';
import { FOLLOWED } from '../../webhook/kube-owner-lookup.ts';
import { DEPLOY, find, type Manifest, ofKind, ROOT, readManifests } from './tools.ts';

// Least privilege, checked both ways: every rule the webhook's and the sidecar's roles grant is
// used by a call in their code, and every call their code makes is granted. The calls are read
// from the sources: the webhook's requests through kube/client.ts, each spelling its
// method and path (`request('PATCH', \`/apis/...\`)`, `read(\`...\`)`, `watch(\`...\`)`), the
// collections cached through kube/list-watch.ts (`listAndWatch(client, '/api/v1/nodes', ...)`:
// list and watch), the owner lookup's paths from its table, and the sidecar's one raw POST.

type Grant = string; // "verb group/resource", group empty for the core API

const VERBS: Record<string, string> = {
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
  WATCH: 'watch',
};

/** The grant a request needs: its verb (get or list for a GET, by whether it names an object) and resource; WATCH for client.watch. */
function grantOf(method: string, path: string): Grant | undefined {
  const [route = '', query = ''] = path.split('?');
  const match = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)(?:\/namespaces\/[^/]+)?\/([a-z]+)(\/[^/]+)?$/.exec(
    route,
  );
  // Not a resource (/version): every authenticated client may read those.
  if (!match) return undefined;
  const [, group = '', resource, name] = match;
  const verb = /(^|&)watch=/.test(query)
    ? 'watch'
    : method === 'GET'
      ? name
        ? 'get'
        : 'list'
      : VERBS[method];
  return `${verb} ${group}/${resource}`;
}

/** client-node API methods: product code calls none of them (kube/client.ts instead). */
const API_METHODS = new Set(
  [AdmissionregistrationV1Api, AppsV1Api, BatchV1Api, CoordinationV1Api, CoreV1Api, EventsV1Api].flatMap(
    (api) => Object.getOwnPropertyNames(api.prototype).filter((name) => name !== 'constructor'),
  ),
);

function sources(dir: string): { file: string; text: string }[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter(
      (name) => name.endsWith('.ts') && !name.endsWith('.test.ts') && !/(^|\/)testing(\.ts|\/)/.test(name),
    )
    .map((name) => ({ file: `${dir}/${name}`, text: readFileSync(join(ROOT, dir, name), 'utf8') }));
}

/** Each permission the code in `dir` needs, with the file that needs it. */
function usedBy(dir: string): Map<Grant, string> {
  const used = new Map<Grant, string>();
  const unreadable: string[] = [];
  const use = (file: string, method: string, path: string) => {
    const grant = grantOf(method, path.replace(/\$\{[^}]+\}/g, 'x'));
    if (grant) used.set(grant, `${file}: ${method} ${path.split('?')[0]!.replace(/\$\{([^}]+)\}/g, '{$1}')}`);
  };
  for (const { file, text } of sources(dir)) {
    for (const [call, method] of text.matchAll(/\bclient\.(\w+)\(/g)) {
      if (API_METHODS.has(method!)) unreadable.push(`${file}: ${call} (a client-node API method)`);
    }
    // Every request, read and watch spells its method and path where it is made.
    const calls = [...text.matchAll(/\bclient\.(request|read|watch)(?:<[^>]*>)?\(/g)].length;
    const spelt = [
      ...[...text.matchAll(/\bclient\.request(?:<[^>]*>)?\(\s*'(\w+)',\s*[`']([^`']+)[`']/g)].map(
        ([, m, p]) => [m!, p!],
      ),
      ...[...text.matchAll(/\bclient\.read(?:<[^>]*>)?\(\s*[`']([^`']+)[`']/g)].map(([, p]) => ['GET', p!]),
      ...[...text.matchAll(/\bclient\.watch\(\s*[`']([^`']+)[`']/g)].map(([, p]) => ['WATCH', p!]),
    ];
    for (const [method, path] of spelt) use(file, method!, path!);
    const cached = [...text.matchAll(/\blistAndWatch(?:<[^>]*>)?\(\s*client,\s*'([^']+)'/g)];
    for (const [, path] of cached) {
      use(file, 'GET', path!);
      use(file, 'WATCH', path!);
    }
    const caches = [...text.matchAll(/\blistAndWatch(?:<[^>]*>)?\(/g)].length;
    if (caches !== cached.length) unreadable.push(`${file}: listAndWatch without a literal path`);
    if (/\bownerPath\(/.test(text) && /\bclient\.read(?:<[^>]*>)?\(ownerPath\(/.test(text)) {
      // The owner lookup reads the paths of its table.
      for (const path of FOLLOWED.values()) use(file, 'GET', path);
    } else if (calls !== spelt.length) {
      unreadable.push(`${file}: ${calls - spelt.length} client calls without a literal method and path`);
    }
    if (/method: 'POST'/.test(text) && /\/api\/v1\/namespaces\/\$\{[^}]+\}\/events/.test(text)) {
      used.set('create /events', `${file}: POST .../events`);
    }
  }
  expect(unreadable, 'API calls this test cannot read a grant from').toEqual([]);
  return used;
}

function granted(roles: Manifest[]): Grant[] {
  return [
    ...new Set(
      roles.flatMap((role) =>
        role.rules.flatMap((rule: Manifest) =>
          rule.apiGroups.flatMap((group: string) =>
            rule.resources.flatMap((resource: string) =>
              rule.verbs.map((verb: string) => `${verb} ${group}/${resource}`),
            ),
          ),
        ),
      ),
    ),
  ].sort();
}

const install = readManifests(join(DEPLOY, 'install.yaml'));
const webhookRoles = [find(install, 'ClusterRole', 'logward-webhook'), ...ofKind(install, 'Role')];

describe('RBAC: each rule has a code path that uses it', () => {
  it('the webhook: owner reads, node versions, its TLS Secret and its webhook configurations', () => {
    const used = usedBy('webhook');
    expect(granted(webhookRoles)).toEqual([...used.keys()].sort());
    // Printed for the reader of a failure: which code needs which rule.
    expect(Object.fromEntries([...used].sort())).toMatchObject({
      'list /nodes': 'webhook/kube-nodes.ts: GET /api/v1/nodes',
      'watch /nodes': 'webhook/kube-nodes.ts: WATCH /api/v1/nodes',
      'update /secrets': 'webhook/tls/kube-tls.ts: PUT /api/v1/namespaces/{ns}/secrets/{secretName}',
      'get apps/deployments':
        'webhook/kube-owner-lookup.ts: GET /apis/apps/v1/namespaces/{namespace}/deployments/{name}',
    });
  });

  it('the sidecar: Events on its own pod, created and never patched', () => {
    const used = usedBy('sidecar');
    expect(granted([find(install, 'ClusterRole', 'logward-sidecar-events')])).toEqual(
      [...used.keys()].sort(),
    );
  });
});

/** A request as RBAC sees it: `/api/v1/namespaces/shop/pods/web-1:9090/proxy/metrics` is get pods/proxy web-1:9090. */
interface Access {
  verb: string;
  group: string;
  resource: string;
  name: string | undefined;
}

function accessOf(request: string): Access {
  const [method, path = ''] = request.split(' ');
  const match =
    /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)(?:\/namespaces\/[^/]+(?=\/))?\/([a-z]+)(?:\/([^/]+)(?:\/([a-z]+))?)?/.exec(
      path,
    );
  if (!match || method !== 'GET') throw new Error(`not a GET of a resource: ${request}`);
  const [, group = '', resource, name, subresource] = match;
  return {
    verb: name ? 'get' : 'list',
    group,
    resource: subresource ? `${resource}/${subresource}` : resource!,
    name,
  };
}

/** Whether `rule` grants `access`: a rule naming objects grants only those. */
function allows(rule: Manifest, access: Access): boolean {
  return (
    rule.apiGroups.includes(access.group) &&
    rule.resources.includes(access.resource) &&
    rule.verbs.includes(access.verb) &&
    (rule.resourceNames === undefined || rule.resourceNames.includes(access.name))
  );
}

describe('RBAC of logward status: the ClusterRole logward-status grants what it reads and nothing else', () => {
  const role = find(install, 'ClusterRole', 'logward-status');

  /** Every request status makes for -n shop, for -A, and for the webhook's Deployment. */
  async function requests(): Promise<string[]> {
    const made: string[] = [];
    const one = fakeApi({
      '/api/v1/namespaces/shop': { metadata: { name: 'shop' } },
      '/api/v1/namespaces/shop/pods': { items: [injectedPod('shop', 'web-1')] },
      '/api/v1/pods': { items: [injectedPod('shop', 'web-1')] },
      '/api/v1/namespaces/shop/pods/web-1:9090/proxy/metrics': '',
    });
    await gather(one.client, 'shop', cluster);
    await gather(one.client, undefined, cluster);
    await readWebhookFlags(one.client, 'logward-system');
    made.push(...one.requests);
    return made;
  }

  it('grants every request status makes', async () => {
    const made = await requests();
    // The reads this test relies on seeing, so an empty record cannot pass it.
    expect(made).toEqual(
      expect.arrayContaining([
        'GET /api/v1/namespaces/shop/pods',
        'GET /api/v1/namespaces/shop/pods/web-1:9090/proxy/metrics',
        'GET /apis/apps/v1/namespaces/logward-system/deployments/logward-webhook',
        'GET /api/v1/namespaces',
      ]),
    );
    const refused = made.filter(
      (request) => !role.rules.some((rule: Manifest) => allows(rule, accessOf(request))),
    );
    expect(refused).toEqual([]);
  });

  it('has no rule that no request uses', async () => {
    const accesses = (await requests()).map(accessOf);
    const unused = role.rules.flatMap((rule: Manifest) =>
      rule.apiGroups.flatMap((group: string) =>
        rule.resources.flatMap((resource: string) =>
          rule.verbs
            .filter(
              (verb: string) =>
                !accesses.some((access) =>
                  allows({ ...rule, apiGroups: [group], resources: [resource], verbs: [verb] }, access),
                ),
            )
            .map((verb: string) => `${verb} ${group}/${resource}`),
        ),
      ),
    );
    expect(unused).toEqual([]);
  });
});
