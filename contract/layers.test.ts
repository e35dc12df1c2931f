import { describe, expect, it } from 'vitest';
import { KEYS } from './keys.ts';
import { inheritedSettings, type Layers, ownSettings, settingsOf, sourceOf } from './layers.ts';
import { resolveOptIn } from './opt-in.ts';

const none: Layers = { pod: {}, workload: {}, namespace: {}, cluster: {} };
const at = (layer: keyof Layers, key: string, value: string): Partial<Layers> => ({
  [layer]: { [key]: value },
});

describe('where a setting comes from: pod > workload > namespace > cluster > built-in', () => {
  // The rows of the table in layers.ts, for one key.
  it.each([
    ['set', 'any', 'any', 'any', 'pod'],
    ['unset', 'set', 'any', 'any', 'workload'],
    ['unset', 'unset', 'set', 'any', 'namespace'],
    ['unset', 'unset', 'unset', 'set', 'cluster'],
    ['unset', 'unset', 'unset', 'unset', undefined],
  ] as const)(
    'pod %s, workload %s, namespace %s, cluster %s: %s',
    (pod, workload, namespace, cluster, want) => {
      const value = (layer: string, state: string) =>
        state === 'unset' ? {} : { [KEYS.maxAge]: `${layer}-value` };
      // "any" rows are checked both ways: set and unset below the winner change nothing.
      for (const below of ['set', 'unset']) {
        const states = [pod, workload, namespace, cluster].map((s) => (s === 'any' ? below : s));
        const layers: Layers = {
          pod: value('pod', states[0]!),
          workload: value('workload', states[1]!),
          namespace: value('namespace', states[2]!),
          cluster: value('cluster', states[3]!),
        };
        expect(sourceOf(KEYS.maxAge, layers)).toBe(want);
        expect(settingsOf(layers)[KEYS.maxAge]).toBe(want === undefined ? undefined : `${want}-value`);
      }
    },
  );

  it('decides key by key: a pod that sets one key keeps the others of its namespace and cluster', () => {
    const layers: Layers = {
      pod: { [KEYS.maxAge]: '1d' },
      workload: { [KEYS.maxFiles]: '3' },
      namespace: { [KEYS.maxAge]: '3d', [KEYS.sizeLimit]: '2Gi', [KEYS.maxFiles]: '5' },
      cluster: { [KEYS.sizeLimit]: '1Gi', [KEYS.compress]: 'zstd' },
    };
    expect(settingsOf(layers)).toEqual({
      [KEYS.maxAge]: '1d',
      [KEYS.maxFiles]: '3',
      [KEYS.sizeLimit]: '2Gi',
      [KEYS.compress]: 'zstd',
    });
    expect(ownSettings(layers)).toEqual({ [KEYS.maxAge]: '1d', [KEYS.maxFiles]: '3' });
    expect(inheritedSettings(layers)).toEqual({
      [KEYS.maxAge]: '3d',
      [KEYS.sizeLimit]: '2Gi',
      [KEYS.maxFiles]: '5',
      [KEYS.compress]: 'zstd',
    });
  });

  it('counts only what each layer may set: anything of ours on pods, defaults and the opt-in on a Namespace, defaults on the cluster', () => {
    const layers: Layers = {
      pod: { [KEYS.status]: 'injected', 'logward.io/max-agee': '1d', 'team.io/owner': 'shop' },
      workload: {},
      namespace: { [KEYS.inject]: 'true', [KEYS.status]: 'injected', 'logward.io/typo': 'x' },
      cluster: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log' },
    };
    expect(settingsOf(layers)).toEqual({
      [KEYS.status]: 'injected',
      'logward.io/max-agee': '1d',
      [KEYS.inject]: 'true',
      [KEYS.logDir]: '/log',
    });
    expect(sourceOf(KEYS.inject, layers)).toBe('namespace');
    expect(sourceOf(KEYS.inject, { ...layers, namespace: {} })).toBe(undefined);
    expect(sourceOf(KEYS.status, { ...layers, pod: {} })).toBe(undefined);
  });

  it('takes missing layers as empty', () => {
    expect(settingsOf({})).toEqual({});
    expect(sourceOf(KEYS.maxAge, at('namespace', KEYS.maxAge, '1d'))).toBe('namespace');
    expect(settingsOf(none)).toEqual({});
  });
});

describe('the opt-in, in the same order', () => {
  const t = { [KEYS.inject]: 'true' };
  const f = { [KEYS.inject]: 'false' };
  const bad = (value: string) => ({ [KEYS.inject]: value });
  // The rows of the table above resolveOptIn, "any" taken as each of true, false and unset.
  it.each([
    [t, undefined, undefined, 'in'],
    [f, undefined, undefined, 'out'],
    [{}, t, undefined, 'in'],
    [{}, f, undefined, 'out'],
    [{}, {}, t, 'in'],
    [{}, {}, f, 'out'],
    [{}, {}, {}, 'unset'],
    [bad('yes'), undefined, undefined, 'invalid'],
    [{}, bad('on'), undefined, 'invalid'],
    [{}, {}, bad('enabled'), 'invalid'],
  ])('pod %j, workload %j, namespace %j: %s', (pod, workload, namespace, want) => {
    for (const any of [t, f, {}]) {
      const layers = { pod, workload: workload ?? any, namespace: namespace ?? any };
      expect(resolveOptIn(layers).kind).toBe(want);
    }
  });

  it("names the namespace's value when it is the one in force and invalid", () => {
    expect(resolveOptIn({ pod: {}, workload: {}, namespace: bad('enabled') })).toEqual({
      kind: 'invalid',
      problem: {
        key: KEYS.inject,
        value: 'enabled',
        message: 'logward.io/inject: "enabled" is not a boolean; use "true" or "false"',
      },
    });
  });

  it('is never opted in by the cluster: the opt-in is no cluster default', () => {
    expect(resolveOptIn({ cluster: t }).kind).toBe('unset');
  });
});
