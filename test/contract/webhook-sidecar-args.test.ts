import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { KEYS, rowOf } from '../../contract/keys.ts';
import { SIDECAR_POLICY_KEYS, sidecarFlagArgs } from '../../contract/sidecar-flags.ts';
import { decide } from '../../inject/decide.ts';
import { appPod, cluster } from '../../inject/testing.ts';
import { parseSidecarArgs } from '../../sidecar/flags.ts';

// The webhook writes the sidecar's command line and the sidecar parses it: one side's flag
// spelling drifting from the other's would crash every injected pod, so both halves meet here.
describe('the sidecar command line the webhook writes', () => {
  it('parses in the sidecar, carrying every workload-level policy value', () => {
    const workload = {
      [KEYS.inject]: 'true',
      [KEYS.logDir]: '/log',
      [KEYS.sizeLimit]: '2Gi',
      [KEYS.maxTotalSize]: '1500Mi',
      [KEYS.maxFileSize]: '100Mi',
      [KEYS.hardLimit]: '98%',
      [KEYS.maxAge]: '3d',
      [KEYS.maxFiles]: '30',
      [KEYS.compress]: 'zstd',
      [KEYS.compressLevel]: '9',
      [KEYS.closedAfter]: '2m',
      [KEYS.schedule]: '*/30 * * * * *',
      [KEYS.recursive]: 'true',
    };
    const decision = decide(appPod({ annotations: null }), {
      ...cluster,
      namespace: 'shop',
      workloadAnnotations: workload,
      namespaceAnnotations: {},
    });
    if (decision.kind !== 'inject') throw new Error(`expected inject, got ${decision.kind}`);
    const sidecar = (decision.pod as V1Pod).spec?.initContainers?.at(-1);
    const [subcommand, ...args] = sidecar?.args ?? [];
    expect(subcommand).toBe('sidecar');
    const parsed = parseSidecarArgs(args);
    expect(parsed).toMatchObject({
      dir: '/var/logward/logs',
      annotationsFile: '/etc/logward/annotations',
      metricsPort: 9102,
    });
    const { [KEYS.inject]: _, [KEYS.logDir]: __, ...policy } = workload;
    expect(parsed.policyFlags).toEqual(policy);
  });

  it('carries each key the sidecar reads as the sidecar reads it, switches both ways', () => {
    const values = SIDECAR_POLICY_KEYS.flatMap((key) => {
      const row = rowOf(key);
      return row.kind === 'bool'
        ? [[key, 'true'] as const, [key, 'false'] as const]
        : [[key, row.example] as const];
    });
    expect(values.length).toBeGreaterThan(SIDECAR_POLICY_KEYS.length);
    for (const [key, value] of values) {
      const parsed = parseSidecarArgs(sidecarFlagArgs(key, value));
      expect(parsed.policyFlags, `${key}=${value}`).toEqual({ [key]: value });
    }
  });

  it('gives the sidecar each directory of log-dirs with its app path, volume limit and overrides', () => {
    const decision = decide(
      appPod({
        annotations: {
          [KEYS.inject]: 'true',
          [KEYS.logDirs]: '/var/log/nginx,/app/gc:size-limit=256Mi;max-age=1d;recursive=true',
          [KEYS.maxFiles]: '4',
        },
      }),
      { ...cluster, namespace: 'shop', workloadAnnotations: {}, namespaceAnnotations: {} },
    );
    if (decision.kind !== 'inject') throw new Error(`expected inject, got ${decision.kind}`);
    const [, ...args] = decision.pod.spec?.initContainers?.at(-1)?.args ?? [];
    const parsed = parseSidecarArgs(args);
    expect(parsed.dir).toBeUndefined();
    expect(parsed.policyFlags).toEqual({ [KEYS.maxFiles]: '4' });
    expect(parsed.directories).toEqual([
      { path: '/var/logward/logs-1', label: '/var/log/nginx', volumeSizeLimit: '1Gi', policyFlags: {} },
      {
        path: '/var/logward/logs-2',
        label: '/app/gc',
        volumeSizeLimit: '256Mi',
        policyFlags: { [KEYS.sizeLimit]: '256Mi', [KEYS.maxAge]: '1d', [KEYS.recursive]: 'true' },
      },
    ]);
  });
});
