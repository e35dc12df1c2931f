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
import { FOLLOWED } from '../../webhook/kube-owner-lookup.ts';
import { DEPLOY, find, type Manifest, ofKind, ROOT, readManifests } from './tools.ts';

// Least privilege, checked both ways: every rule the webhook's and the sidecar's roles grant is
// used by a call in their code, and every call their code makes is granted. The calls are read
// from the sources: client-node API methods, the generic object reads of the owner lookup, watch
// paths, and the sidecar's one raw POST.

type Grant = string; // "verb group/resource", group empty for the core API

/** client-node API methods as RBAC sees them; a method the code calls but this table lacks fails. */
const METHOD_GRANTS: Record<string, Grant> = {
  readNamespacedSecret: 'get /secrets',
  createNamespacedSecret: 'create /secrets',
  replaceNamespacedSecret: 'update /secrets',
  patchNamespacedSecret: 'patch /secrets',
  readMutatingWebhookConfiguration: 'get admissionregistration.k8s.io/mutatingwebhookconfigurations',
  patchMutatingWebhookConfiguration: 'patch admissionregistration.k8s.io/mutatingwebhookconfigurations',
  readValidatingWebhookConfiguration: 'get admissionregistration.k8s.io/validatingwebhookconfigurations',
  patchValidatingWebhookConfiguration: 'patch admissionregistration.k8s.io/validatingwebhookconfigurations',
  listNode: 'list /nodes',
};

/** The plural resource of each kind the owner lookup reads with KubernetesObjectApi.read. */
const RESOURCES: Record<string, string> = {
  ReplicaSet: 'replicasets',
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
  Job: 'jobs',
  CronJob: 'cronjobs',
};

const API_METHODS = new Set(
  [AdmissionregistrationV1Api, AppsV1Api, BatchV1Api, CoordinationV1Api, CoreV1Api, EventsV1Api].flatMap(
    (api) => Object.getOwnPropertyNames(api.prototype),
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
  const unmapped: string[] = [];
  for (const { file, text } of sources(dir)) {
    for (const [, method] of text.matchAll(/\.(\w+)\(/g)) {
      if (!API_METHODS.has(method!)) continue;
      const grant = METHOD_GRANTS[method!];
      if (grant) used.set(grant, `${file}: ${method}`);
      else unmapped.push(`${file}: ${method}`);
    }
    for (const [, path] of text.matchAll(/\.watch\(\s*'([^']+)'/g)) {
      const [, group, resource] = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)\/([a-z]+)$/.exec(path!) ?? [];
      used.set(`watch ${group ?? ''}/${resource}`, `${file}: watch ${path}`);
    }
    if (/KubernetesObjectApi/.test(text) && /\bapi\.read\(/.test(text)) {
      for (const followed of FOLLOWED) {
        const [group, , kind] = followed.split('/');
        used.set(`get ${group}/${RESOURCES[kind!]}`, `${file}: owner lookup of ${kind}`);
      }
    }
    if (/method: 'POST'/.test(text) && /\/api\/v1\/namespaces\/\$\{[^}]+\}\/events/.test(text)) {
      used.set('create /events', `${file}: POST .../events`);
    }
  }
  expect(unmapped, 'API calls missing from METHOD_GRANTS').toEqual([]);
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
      'list /nodes': 'webhook/kube-nodes.ts: listNode',
      'watch /nodes': 'webhook/kube-nodes.ts: watch /api/v1/nodes',
      'update /secrets': 'webhook/tls/kube-tls.ts: replaceNamespacedSecret',
    });
  });

  it('the sidecar: Events on its own pod, created and never patched', () => {
    const used = usedBy('sidecar');
    expect(granted([find(install, 'ClusterRole', 'logward-sidecar-events')])).toEqual(
      [...used.keys()].sort(),
    );
  });
});
