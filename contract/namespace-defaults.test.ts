import { describe, expect, it } from 'vitest';
import { KEYS } from './keys.ts';
import { checkNamespaceDefaults } from './namespace-defaults.ts';

describe("a Namespace's annotations, checked as its pods' defaults", () => {
  it('accepts the opt-in and any default, log-dir left to the pods', () => {
    expect(
      checkNamespaceDefaults({ [KEYS.inject]: 'true', [KEYS.sizeLimit]: '2Gi', [KEYS.maxAge]: '3d' }, {}),
    ).toEqual({ problems: [], warnings: [] });
  });

  it('names the key, the value and the accepted form of each value that does not parse', () => {
    const { problems } = checkNamespaceDefaults(
      { [KEYS.inject]: 'yes', [KEYS.maxAge]: '3days', [KEYS.logDir]: 'log' },
      {},
    );
    expect(problems.map((p) => p.message)).toEqual([
      'logward.io/inject: "yes" is not a boolean; use "true" or "false"',
      'logward.io/log-dir: "log" is not an absolute path; use the directory the app logs into, e.g. /log or /var/log/app',
      'logward.io/max-age: "3days" is not a duration; use e.g. 12h or 7d',
    ]);
  });

  it('checks values across keys, its own and those of the cluster under it', () => {
    const own = checkNamespaceDefaults({ [KEYS.sizeLimit]: '512Mi', [KEYS.maxTotalSize]: '600Mi' }, {});
    expect(own.problems.map((p) => [p.key, p.with])).toContainEqual([KEYS.maxTotalSize, KEYS.sizeLimit]);
    const withCluster = checkNamespaceDefaults(
      { [KEYS.maxTotalSize]: '1500Mi' },
      { [KEYS.sizeLimit]: '1Gi' },
    );
    expect(withCluster.problems.map((p) => [p.key, p.value, p.with])).toContainEqual([
      KEYS.maxTotalSize,
      '1500Mi',
      KEYS.sizeLimit,
    ]);
    // The namespace's own size limit is the one under its budget, not the cluster's.
    expect(
      checkNamespaceDefaults(
        { [KEYS.maxTotalSize]: '1500Mi', [KEYS.sizeLimit]: '2Gi' },
        { [KEYS.sizeLimit]: '1Gi' },
      ).problems,
    ).toEqual([]);
  });

  it('warns of keys a Namespace cannot set and of unknown ones, and ignores other annotations', () => {
    expect(
      checkNamespaceDefaults(
        {
          [KEYS.status]: 'injected',
          'logward.io/max-agee': '3d',
          'scheduler.alpha.kubernetes.io/node-selector': 'x',
        },
        {},
      ),
    ).toEqual({
      problems: [],
      warnings: [
        'logward.io/max-agee is not a Logward annotation and is ignored; did you mean logward.io/max-age?',
        'logward.io/status is not a default a Namespace can set; it is ignored here',
      ],
    });
  });
});
