// Where the policy comes from while the sidecar runs: the pod's annotations (downward API file)
// over the flags over the built-in defaults. Kubernetes updates the file by swapping a `..data`
// symlink, so it is simply re-read: on change events and before every pass. A new value that
// does not parse is refused, loudly and naming the key, and the policy in force stays.
import { KEYS, type Key } from '../contract/keys.ts';
import {
  type ParseOptions,
  type ParseResult,
  type Policy,
  parsePolicy,
  type RawAnnotations,
} from '../contract/policy.ts';
import { parseDownwardApi } from './annotations.ts';
import type { Logger } from './log.ts';

// Through getBuiltinModule, not an import: see flags.ts.
const { isDeepStrictEqual } = process.getBuiltinModule('node:util');

export interface PolicySource {
  readonly current: Policy;
  /** Re-reads the annotations; true when a valid, different policy now applies. */
  reload(): Promise<boolean>;
}

export async function readAnnotations(
  file: string,
  readFile: (path: string) => Promise<string>,
  pinned: readonly Key[] = [],
): Promise<RawAnnotations> {
  return sidecarView(parseDownwardApi(await readFile(file)), pinned);
}

/**
 * The pod's annotations as they apply to the sidecar. `logward.io/log-dir` is where the *app*
 * sees its logs; the sidecar has the same volume mounted at a path of its own, given by --dir,
 * so that annotation is not the sidecar's to follow, nor `logward.io/log-dirs`. `pinned` are the
 * keys a directory of `log-dirs` sets apart: its own value, given as a flag, is what applies.
 */
function sidecarView(annotations: Record<string, string>, pinned: readonly Key[]): RawAnnotations {
  const { [KEYS.logDir]: _appPath, [KEYS.logDirs]: _appPaths, ...rest } = annotations;
  for (const key of pinned) delete rest[key];
  return rest;
}

export function createPolicySource(options: {
  initial: Policy;
  file: string | undefined;
  fallback: RawAnnotations;
  /** Keys the annotations do not override (a directory's own settings): sidecarView. */
  pinned?: readonly Key[];
  /** What no annotation may override (the volume's real size limit). */
  options?: ParseOptions;
  readFile: (path: string) => Promise<string>;
  logger: Logger;
}): PolicySource {
  let current = options.initial;
  let lastRefused: string | undefined;
  return {
    get current() {
      return current;
    },
    async reload() {
      if (options.file === undefined) return false;
      let text: string;
      let result: ParseResult;
      try {
        text = await options.readFile(options.file);
        result = parsePolicy(
          sidecarView(parseDownwardApi(text), options.pinned ?? []),
          options.fallback,
          options.options,
        );
      } catch (error) {
        options.logger.log('error', 'annotations_unreadable', { file: options.file, error: error as Error });
        return false;
      }
      if (!result.ok) {
        // Once per distinct content: the file is re-read before every pass.
        if (text !== lastRefused) {
          lastRefused = text;
          for (const problem of result.problems) {
            options.logger.log('error', 'policy_refused', {
              key: problem.key,
              value: problem.value,
              error: problem.message,
            });
          }
        }
        return false;
      }
      lastRefused = undefined;
      if (isDeepStrictEqual(result.policy, current)) return false;
      const changed = changedFields(current, result.policy);
      current = result.policy;
      options.logger.log('info', 'policy_updated', { changed });
      for (const warning of result.warnings) options.logger.log('warn', 'policy_warning', { warning });
      return true;
    },
  };
}

/**
 * What changed, by the policy's named fields; a setting with no field of its own (read through
 * `policy.settings`) by its row name.
 */
function changedFields(before: Policy, after: Policy): string[] {
  const named = (Object.keys(before) as (keyof Policy)[]).filter(
    (k) => k !== 'settings' && !isDeepStrictEqual(before[k], after[k]),
  );
  if (named.length > 0) return named;
  const settings = (policy: Policy) => policy.settings as Readonly<Record<string, unknown>>;
  const names = new Set([...Object.keys(settings(before)), ...Object.keys(settings(after))]);
  return [...names].filter((name) => !isDeepStrictEqual(settings(before)[name], settings(after)[name]));
}
