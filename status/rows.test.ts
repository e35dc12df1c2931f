import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { KEYS } from '../contract/keys.ts';
import type { RawAnnotations } from '../contract/policy.ts';
import { decide } from '../inject/decide.ts';
import { cluster } from '../inject/testing.ts';
import type { KubeObject } from '../inject/workloads.ts';
import { ago, renderJson, renderTable } from './render.ts';
import { metricsTargets, type StatusInput, statusRows } from './rows.ts';

// `logward status` from objects and metrics text alone: which rows, what they say, and the table.

const NOW = Date.parse('2026-12-02T12:00:00Z');

const deployment = (name: string, uid: string, annotations: Record<string, string> = {}): KubeObject => ({
  kind: 'Deployment',
  metadata: { name, namespace: 'shop', uid, annotations },
  spec: { template: { metadata: {}, spec: { containers: [{ name: 'app', image: 'app:1' }] } } },
});

const replicaSet = (name: string, uid: string, owner: string): KubeObject => ({
  kind: 'ReplicaSet',
  metadata: {
    name,
    namespace: 'shop',
    uid,
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: owner, controller: true }],
  },
  spec: { template: { metadata: {}, spec: { containers: [{ name: 'app', image: 'app:1' }] } } },
});

function pod(
  name: string,
  opts: { owner?: string; annotations?: Record<string, string>; phase?: string } = {},
): V1Pod {
  return {
    metadata: {
      name,
      namespace: 'shop',
      annotations: opts.annotations ?? {},
      ...(opts.owner
        ? {
            ownerReferences: [
              { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: opts.owner, controller: true },
            ],
          }
        : {}),
    },
    spec: { containers: [{ name: 'app', image: 'app:1' }] },
    status: { phase: opts.phase ?? 'Running' },
  };
}

/** `pod` as the webhook would have injected it, with its namespace's defaults. */
function injected(base: V1Pod, namespaceAnnotations: RawAnnotations): V1Pod {
  const decision = decide(base, {
    ...cluster,
    namespace: 'shop',
    workloadAnnotations: {},
    namespaceAnnotations,
  });
  if (decision.kind !== 'inject') throw new Error(JSON.stringify(decision));
  return { ...decision.pod, status: base.status };
}

const shop = { [KEYS.inject]: 'true', [KEYS.logDir]: '/log', [KEYS.sizeLimit]: '1Gi' };
const metricsText = (usage: number, lastRotation: number) =>
  [
    '# HELP logward_sidecar_usage_bytes Allocated bytes',
    '# TYPE logward_sidecar_usage_bytes gauge',
    `logward_sidecar_usage_bytes ${usage}`,
    `logward_sidecar_budget_bytes ${800 * 2 ** 20}`,
    `logward_sidecar_hard_limit_bytes ${972 * 2 ** 20}`,
    `logward_sidecar_limit_bytes ${2 ** 30}`,
    `logward_sidecar_last_rotation_timestamp_seconds ${lastRotation}`,
    'logward_sidecar_deleted_files_total{reason="over_max_age"} 2',
  ].join('\n');

function input(overrides: Partial<StatusInput> = {}): StatusInput {
  const web1 = injected(pod('web-1', { owner: 'r1' }), shop);
  return {
    pods: [
      web1,
      pod('web-2', { owner: 'r1' }), // created while the webhook was away
      pod('api-1', { owner: 'r2' }), // its Deployment opts out
      pod('typo', { annotations: { [KEYS.maxAge]: '2 days' } }), // opted in by the namespace, invalid
      injected(pod('pending', { phase: 'Pending' }), shop),
    ],
    workloads: [
      deployment('web', 'd1'),
      replicaSet('web-abc', 'r1', 'd1'),
      deployment('api', 'd2', { [KEYS.inject]: 'false' }),
      replicaSet('api-abc', 'r2', 'd2'),
    ],
    namespaces: new Map([['shop', shop]]),
    metrics: new Map([['shop/web-1', { text: metricsText(200 * 2 ** 20, NOW / 1000 - 300) }]]),
    cluster,
    ...overrides,
  };
}

describe('statusRows', () => {
  it('lists the opted-in workloads through their top owner, counting their injected pods', () => {
    expect(statusRows(input()).workloads).toEqual([
      { namespace: 'shop', kind: 'Deployment', name: 'web', optedInBy: 'namespace', pods: 2, injected: 1 },
    ]);
  });

  it('reads usage, budget, limit and last rotation of an injected pod from its metrics', () => {
    const web1 = statusRows(input()).pods.find((p) => p.name === 'web-1');
    expect(web1).toEqual({
      namespace: 'shop',
      name: 'web-1',
      workload: 'Deployment/web',
      phase: 'Running',
      injected: true,
      optedInBy: 'namespace',
      usageBytes: 200 * 2 ** 20,
      budgetBytes: 800 * 2 ** 20,
      hardLimitBytes: 972 * 2 ** 20,
      limitBytes: 2 ** 30,
      lastRotation: '2026-12-02T11:55:00.000Z',
    });
  });

  it('says why an opted-in pod has no sidecar, and leaves out pods that are not opted in', () => {
    const rows = statusRows(input()).pods;
    expect(rows.map((p) => [p.name, p.injected, p.reason])).toEqual([
      ['pending', true, undefined],
      ['typo', false, 'invalid_settings'],
      ['web-1', true, undefined],
      ['web-2', false, 'created_without_webhook'],
    ]);
    expect(rows.find((p) => p.name === 'typo')?.why).toBe(
      'its settings are invalid: logward.io/max-age: "2 days" is not a duration; use e.g. 12h or 7d',
    );
    expect(rows.find((p) => p.name === 'pending')?.metricsError).toBe('the sidecar is not running');
  });

  it("says never for a sidecar that has not rotated yet, and names a metrics endpoint's failure", () => {
    const rows = statusRows(
      input({
        metrics: new Map([
          ['shop/web-1', { text: metricsText(10, 0) }],
          ['shop/pending', { error: 'GET /api/v1/namespaces/shop/pods/pending:9102/proxy/metrics: 503' }],
        ]),
      }),
    ).pods;
    expect(rows.find((p) => p.name === 'web-1')?.lastRotation).toBeNull();
    expect(rows.find((p) => p.name === 'pending')?.metricsError).toMatch(/proxy\/metrics: 503$/);
  });

  it('asks the sidecar of each injected pod on its metrics port, and no other pod', () => {
    const targets = metricsTargets(input().pods);
    expect(targets.map((t) => t.key)).toEqual(['shop/web-1', 'shop/pending']);
    expect(targets[0]!.port).toBeGreaterThan(0);
  });
});

describe('the table and the JSON', () => {
  it('prints kubectl-style columns: usage against budget and limit, the rotation as an age, the reason', () => {
    const text = renderTable(statusRows(input()), { allNamespaces: false, now: NOW });
    expect(text.split('\n')).toEqual([
      'WORKLOAD         OPTED IN BY   INJECTED',
      'deployment/web   namespace     1/2',
      '',
      'POD       INJECTED   USAGE         BUDGET   LIMIT       LAST ROTATION   REASON',
      'pending   yes        ?             ?        ?           ?               metrics: the sidecar is not running',
      'typo      no         -             -        -           -               invalid_settings',
      'web-1     yes        200Mi (25%)   800Mi    1Gi (20%)   5m ago          <none>',
      'web-2     no         -             -        -           -               created_without_webhook',
      '',
    ]);
  });

  it('adds a NAMESPACE column for every namespace, and says when there is nothing', () => {
    const text = renderTable(statusRows(input()), { allNamespaces: true, now: NOW });
    expect(text.split('\n')[0]).toBe('NAMESPACE   WORKLOAD         OPTED IN BY   INJECTED');
    expect(renderTable({ workloads: [], pods: [] }, { allNamespaces: false, now: NOW })).toBe(
      'No opted-in workloads or pods found in this namespace.\n',
    );
  });

  it('gives scripts every field as JSON', () => {
    const parsed = JSON.parse(renderJson(statusRows(input())));
    expect(parsed.pods.find((p: { name: string }) => p.name === 'web-2')).toMatchObject({
      injected: false,
      reason: 'created_without_webhook',
    });
  });

  it('counts ages as kubectl does', () => {
    expect([ago(45_000), ago(300_000), ago(5 * 3_600_000), ago(3 * 86_400_000)]).toEqual([
      '45s',
      '5m',
      '5h',
      '3d',
    ]);
  });
});
