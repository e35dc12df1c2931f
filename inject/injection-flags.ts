import { UsageError } from '../base/errors.ts';
import { VERSION } from '../base/version.ts';
import { BUILTIN_DEFAULTS, DEFAULTABLE_KEYS, KEYS, type Key, shortName } from '../contract/keys.ts';
import { parsePolicy } from '../contract/policy.ts';
import type { SidecarImage } from './sidecar-container.ts';

// The flags that shape an injection, shared by `logward webhook` and `logward inject` so the
// offline path produces exactly what the webhook would.

/** `default-max-age`: the flag that sets a key's cluster-wide default (the table says which may). */
function defaultFlagOf(key: Key): string {
  return `default-${shortName(key)}`;
}

export const DEFAULT_SIDECAR_IMAGE = `ghcr.io/logward/logward-sidecar:${VERSION}`;

export const INJECTION_FLAGS = {
  'sidecar-image': { type: 'string', default: DEFAULT_SIDECAR_IMAGE },
  'sidecar-pull-policy': { type: 'string', default: 'IfNotPresent' },
  help: { type: 'boolean', default: false },
  ...Object.fromEntries(DEFAULTABLE_KEYS.map((key) => [defaultFlagOf(key), { type: 'string' as const }])),
} as const;

export function injectionHelp(): string[] {
  return [
    `  --sidecar-image IMAGE                 image of the injected sidecar (default ${DEFAULT_SIDECAR_IMAGE})`,
    '  --sidecar-pull-policy POLICY          Always, IfNotPresent or Never (default IfNotPresent)',
  ];
}

export function defaultsHelp(): string[] {
  return [
    '',
    'Cluster-wide defaults, used where neither the pod nor its workload sets the annotation:',
    ...DEFAULTABLE_KEYS.map(
      (key) =>
        `  --${defaultFlagOf(key)}=VALUE`.padEnd(40) +
        `${key} (built in: ${BUILTIN_DEFAULTS[key] ?? 'none'})`,
    ),
    '',
  ];
}

/** What `logward inject` and the webhook use when no injection flag is given: the demo shows it. */
export function defaultInjection(): { image: SidecarImage; defaults: Record<string, string> } {
  return parseInjectionFlags(
    Object.fromEntries(
      Object.entries(INJECTION_FLAGS).map(([name, flag]) => [
        name,
        'default' in flag ? flag.default : undefined,
      ]),
    ),
  );
}

/** Image and defaults from parsed flag values, each checked now and named on error. */
export function parseInjectionFlags(values: Record<string, string | boolean | undefined>): {
  image: SidecarImage;
  defaults: Record<string, string>;
} {
  const pullPolicy = values['sidecar-pull-policy'];
  if (pullPolicy !== 'Always' && pullPolicy !== 'IfNotPresent' && pullPolicy !== 'Never') {
    throw new UsageError(
      `--sidecar-pull-policy: ${JSON.stringify(pullPolicy)} is not a pull policy; use Always, IfNotPresent or Never`,
    );
  }
  const defaults: Record<string, string> = {};
  for (const key of DEFAULTABLE_KEYS) {
    const value = values[defaultFlagOf(key)];
    if (typeof value === 'string') defaults[key] = value;
  }
  // Checked now, with a stand-in log directory when none is set (pods must then name their own).
  const check = parsePolicy({}, { [KEYS.logDir]: '/log', ...defaults });
  if (!check.ok) {
    throw new UsageError(
      check.problems
        .map((p) => `--${defaultFlagOf(p.key as Key)}: ${p.message.replace(`${p.key}: `, '')}`)
        .join('; '),
    );
  }
  return { image: { image: String(values['sidecar-image']), pullPolicy }, defaults };
}
