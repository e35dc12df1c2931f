import { DEFAULTABLE_KEYS, shortName } from '../contract/keys.ts';

// The cluster's `--default-*` and `--excluded-namespaces` flags, read from the webhook's own
// Deployment, so that `logward status` judges a pod left alone as the webhook would have.

export interface WebhookFlags {
  /** Cluster defaults keyed like annotations. */
  defaults: Record<string, string>;
  excludedNamespaces: string[];
  /** `native` or `classic` where the webhook is told; undefined for `auto`. */
  mode: 'native' | 'classic' | undefined;
}

/** The flags of the webhook container's args, `--flag=value` or `--flag value`. */
export function webhookFlagsOf(args: readonly string[]): WebhookFlags {
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) continue;
    const equals = arg.indexOf('=');
    if (equals > 0) values.set(arg.slice(2, equals), arg.slice(equals + 1));
    else if (i + 1 < args.length && !args[i + 1]!.startsWith('--')) values.set(arg.slice(2), args[++i]!);
  }
  const defaults: Record<string, string> = {};
  for (const key of DEFAULTABLE_KEYS) {
    const value = values.get(`default-${shortName(key)}`);
    if (value !== undefined) defaults[key] = value;
  }
  const mode = values.get('sidecar-mode');
  return {
    defaults,
    excludedNamespaces: (values.get('excluded-namespaces') ?? '').split(',').filter(Boolean),
    mode: mode === 'native' || mode === 'classic' ? mode : undefined,
  };
}
