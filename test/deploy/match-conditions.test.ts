import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { KEYS, STATUS_INJECTED } from '../../contract/keys.ts';
import { BUILD_TIMEOUT_MS, buildTool, DEPLOY, type Manifest, readManifests, runOk } from './tools.ts';

// Which objects the API server sends to each webhook: the matchConditions' CEL evaluated by
// kube-apiserver's own code (test/tools/kubecheck), not by a re-implementation.

const configurations = readManifests(join(DEPLOY, 'install.yaml')).filter((o) =>
  ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'].includes(o.kind),
);

interface Case {
  webhook: string;
  operation?: string;
  object: Manifest;
}

interface Match {
  matches: boolean;
  failedCondition?: string;
  error?: string;
}

let kubecheck: string;
beforeAll(async () => {
  kubecheck = await buildTool('kubecheck');
}, BUILD_TIMEOUT_MS);

async function evaluate(cases: Case[], with_ = configurations): Promise<Match[]> {
  const output = await runOk(
    kubecheck,
    ['match-conditions'],
    JSON.stringify({ configurations: with_, cases }),
  );
  return JSON.parse(output) as Match[];
}

const controller = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  name: 'going-7d9f',
  uid: 'u1',
  controller: true,
};

function pod(annotations?: Record<string, string>, ownerReferences?: Manifest[]): Case {
  return {
    webhook: 'pods.logward.io',
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'p',
        namespace: 'shop',
        ...(annotations && { annotations }),
        ...(ownerReferences && { ownerReferences }),
      },
      spec: { containers: [{ name: 'app', image: 'busybox' }] },
    },
  };
}

function workload(
  kind: string,
  apiVersion: string,
  metadata: Manifest,
  spec: Manifest,
  operation = 'CREATE',
): Case {
  return {
    webhook: 'workloads.logward.io',
    operation,
    object: { apiVersion, kind, metadata: { name: 'w', namespace: 'shop', ...metadata }, spec },
  };
}

const podSpec = { containers: [{ name: 'app', image: 'busybox' }] };
const ours = { [KEYS.logDir]: '/log' };
const foreign = { 'deployment.kubernetes.io/revision': '3' };

type Row = [string, Case, Match];
const called: Match = { matches: true };
const skipped = (failedCondition: string): Match => ({ matches: false, failedCondition });

const POD_ROWS: Row[] = [
  ['a bare pod', pod(), skipped('may-opt-in')],
  ['a pod with unrelated annotations', pod({ team: 'shop' }), skipped('may-opt-in')],
  ['a pod opted in itself', pod({ [KEYS.inject]: 'true' }), called],
  // The webhook rejects it with a message naming the key; skipping would hide the typo.
  ['a pod with an invalid opt-in', pod({ [KEYS.inject]: 'yes' }), called],
  ['a pod with a controller (its workload may opt in)', pod(undefined, [controller]), called],
  ['a pod with a controller and annotations', pod({ team: 'shop' }, [controller]), called],
  [
    'a pod whose owner is not its controller',
    pod(undefined, [{ ...controller, controller: false }]),
    skipped('may-opt-in'),
  ],
  [
    'a pod with an owner lacking the controller field',
    pod(undefined, [{ ...controller, controller: undefined }]),
    skipped('may-opt-in'),
  ],
  ['a pod with an empty owner list', pod(undefined, []), skipped('may-opt-in')],
  [
    'a pod opted out itself, under a controller',
    pod({ [KEYS.inject]: 'false' }, [controller]),
    skipped('not-opted-out'),
  ],
  [
    'a pod already injected',
    pod({ [KEYS.inject]: 'true', [KEYS.status]: STATUS_INJECTED }),
    skipped('not-injected'),
  ],
  [
    'an injected pod under a controller',
    pod({ [KEYS.status]: STATUS_INJECTED }, [controller]),
    skipped('not-injected'),
  ],
  ['a pod with another status value', pod({ [KEYS.inject]: 'true', [KEYS.status]: 'pending' }), called],
];

const WORKLOAD_ROWS: Row[] = [
  [
    'a Deployment opted in on itself',
    workload(
      'Deployment',
      'apps/v1',
      { annotations: { [KEYS.inject]: 'true' } },
      { template: { spec: podSpec } },
    ),
    called,
  ],
  [
    'a Deployment with our keys on its template',
    workload('Deployment', 'apps/v1', {}, { template: { metadata: { annotations: ours }, spec: podSpec } }),
    called,
  ],
  [
    'a Deployment updated to opt out',
    workload(
      'Deployment',
      'apps/v1',
      { annotations: { [KEYS.inject]: 'false' } },
      { template: { spec: podSpec } },
      'UPDATE',
    ),
    called,
  ],
  [
    'a Deployment with only foreign annotations',
    workload(
      'Deployment',
      'apps/v1',
      { annotations: foreign },
      { template: { metadata: { annotations: { team: 'shop' } }, spec: podSpec } },
    ),
    skipped('has-logward-annotations'),
  ],
  [
    'a Deployment with no annotations anywhere',
    workload('Deployment', 'apps/v1', {}, { template: { spec: podSpec } }),
    skipped('has-logward-annotations'),
  ],
  [
    'a Deployment whose template has no metadata',
    workload('Deployment', 'apps/v1', { annotations: foreign }, { template: {} }),
    skipped('has-logward-annotations'),
  ],
  [
    'a StatefulSet with our keys on its template',
    workload('StatefulSet', 'apps/v1', {}, { template: { metadata: { annotations: ours }, spec: podSpec } }),
    called,
  ],
  [
    'a DaemonSet without our keys',
    workload('DaemonSet', 'apps/v1', {}, { template: { metadata: { labels: { a: 'b' } }, spec: podSpec } }),
    skipped('has-logward-annotations'),
  ],
  [
    'a Job with our keys on its template',
    workload('Job', 'batch/v1', {}, { template: { metadata: { annotations: ours }, spec: podSpec } }),
    called,
  ],
  [
    'a CronJob opted in on itself',
    workload(
      'CronJob',
      'batch/v1',
      { annotations: { [KEYS.inject]: 'true' } },
      { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: podSpec } } } },
    ),
    called,
  ],
  [
    'a CronJob with our keys on its job template',
    workload(
      'CronJob',
      'batch/v1',
      {},
      {
        schedule: '* * * * *',
        jobTemplate: { metadata: { annotations: ours }, spec: { template: { spec: podSpec } } },
      },
    ),
    called,
  ],
  [
    'a CronJob with our keys on its pod template',
    workload(
      'CronJob',
      'batch/v1',
      {},
      {
        schedule: '* * * * *',
        jobTemplate: { spec: { template: { metadata: { annotations: ours }, spec: podSpec } } },
      },
    ),
    called,
  ],
  [
    'a CronJob without our keys',
    workload(
      'CronJob',
      'batch/v1',
      { annotations: foreign },
      { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: podSpec } } } },
    ),
    skipped('has-logward-annotations'),
  ],
];

/** A pod of a namespace labelled logward.io/enabled=true: the other pod webhook's. */
const inEnabledNamespace = (c: Case): Case => ({ ...c, webhook: 'enabled-pods.logward.io' });

const ENABLED_POD_ROWS: Row[] = [
  // Its Namespace's logward.io/inject may opt it in: the webhook reads the Namespace.
  ['a bare pod of an enabled namespace', inEnabledNamespace(pod()), called],
  [
    'a pod of an enabled namespace with a controller',
    inEnabledNamespace(pod(undefined, [controller])),
    called,
  ],
  [
    'a pod of an enabled namespace opted out itself',
    inEnabledNamespace(pod({ [KEYS.inject]: 'false' })),
    skipped('not-opted-out'),
  ],
  [
    'an injected pod of an enabled namespace',
    inEnabledNamespace(pod({ [KEYS.status]: STATUS_INJECTED })),
    skipped('not-injected'),
  ],
];

function namespaceObject(annotations?: Record<string, string>, operation = 'CREATE'): Case {
  return {
    webhook: 'namespaces.logward.io',
    operation,
    object: {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'shop', ...(annotations && { annotations }) },
    },
  };
}

const NAMESPACE_ROWS: Row[] = [
  ['a Namespace setting a default', namespaceObject({ [KEYS.sizeLimit]: '2Gi' }), called],
  ['a Namespace opting its pods in', namespaceObject({ [KEYS.inject]: 'true' }, 'UPDATE'), called],
  ['a Namespace with only foreign annotations', namespaceObject(foreign), skipped('has-logward-annotations')],
  ['a Namespace without annotations', namespaceObject(), skipped('has-logward-annotations')],
];

describe('matchConditions of deploy/install.yaml', () => {
  const rows = [...POD_ROWS, ...WORKLOAD_ROWS, ...ENABLED_POD_ROWS, ...NAMESPACE_ROWS];
  // One evaluator run for the whole table: each start builds the CEL environment anew.
  let results: Match[];
  beforeAll(async () => {
    results = await evaluate(rows.map(([, c]) => c));
  });

  it.each(rows.map(([name, , want], index) => [name, want, index] as const))('%s', (_, want, index) => {
    // No error: with failurePolicy Ignore an erroring expression silently skips the webhook.
    expect(results[index]).toEqual(want);
  });

  it('report an erroring expression as an error, so the rows above can fail', async () => {
    const broken = structuredClone(configurations);
    const mutating = broken.find((c) => c.kind === 'MutatingWebhookConfiguration')!;
    // Indexing a missing map key errors in CEL, where the has()/optional forms above do not.
    mutating.webhooks[0].matchConditions = [
      { name: 'careless', expression: "object.metadata.annotations['logward.io/inject'] == 'true'" },
    ];
    const [result] = await evaluate([pod(undefined, [controller])], broken);
    expect(result!.matches).toBe(false);
    expect(result!.error).toMatch(/careless|no such key|annotations/);
  });
});
