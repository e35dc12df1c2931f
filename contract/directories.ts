// The policy of each log directory of a pod: one from `logward.io/log-dir`, or one per entry of
// `logward.io/log-dirs`. Each directory is parsed as a pod of its own would be, so it passes the
// same checks (its budget against its own size limit, its path against the system directories).
import { KEYS, type Key } from './keys.ts';
import { type LogDirectory, parseLogDirs } from './log-dirs.ts';
import { type Policy, type Problem, parsePolicy, type RawAnnotations } from './policy.ts';

export interface DirectoryPolicy {
  policy: Policy;
  /** What `log-dirs` set apart for this directory, by key (empty for `log-dir`). */
  overrides: Readonly<Partial<Record<Key, string>>>;
}

export type DirectoriesResult =
  | {
      ok: true;
      /** The first directory's policy: the settings the pod shares (the sidecar's resources). */
      policy: Policy;
      directories: DirectoryPolicy[];
      /** Declared with `log-dirs`: the sidecar labels each directory's metrics with its path. */
      several: boolean;
      warnings: string[];
    }
  | { ok: false; problems: Problem[]; warnings: string[] };

/**
 * Where a directory's setting comes from, key by key:
 *
 *   override in log-dirs | annotation (pod > workload) | fallback (cluster default) | result
 *   ---------------------+-----------------------------+----------------------------+----------
 *   set                  | any                         | any                        | the override
 *   unset                | set                         | any                        | the annotation
 *   unset                | unset                       | set                        | the fallback
 *   unset                | unset                       | unset                      | built in
 *
 * `log-dir` and `log-dirs` both set (by the pod or its workload) is refused, naming both: which
 * one was meant cannot be guessed. A cluster `--default-log-dir` applies only where neither is.
 */
export function parseDirectories(raw: RawAnnotations, fallback: RawAnnotations = {}): DirectoriesResult {
  const listed = raw[KEYS.logDirs];
  if (listed === undefined) {
    const single = parsePolicy(raw, fallback);
    if (!single.ok) return single;
    return { ...single, directories: [{ policy: single.policy, overrides: {} }], several: false };
  }
  const problems: Problem[] = [];
  if (raw[KEYS.logDir] !== undefined) {
    problems.push({
      key: KEYS.logDirs,
      value: listed,
      with: KEYS.logDir,
      message: `${KEYS.logDir} and ${KEYS.logDirs} are both set; use ${KEYS.logDir} for one directory or ${KEYS.logDirs} for several, not both`,
    });
  }
  const parsed = parseLogDirs(listed);
  if (!parsed.ok) return { ok: false, problems: [...problems, ...parsed.problems], warnings: [] };

  const warnings = new Set<string>();
  const said = new Set<string>();
  const directories: DirectoryPolicy[] = [];
  let shared: Set<string> | undefined;
  for (const dir of parsed.directories) {
    const result = parsePolicy(directoryAnnotations(raw, dir), fallback);
    for (const warning of result.warnings) warnings.add(warning);
    if (result.ok) {
      directories.push({ policy: result.policy, overrides: dir.overrides });
      continue;
    }
    // A problem every directory has (a shared key's) is said once, as is; one that comes from
    // a directory's overrides (its own, or a shared budget against its own size limit) names it.
    shared ??= sharedProblems(raw, fallback, dir.path);
    for (const problem of result.problems) {
      if (shared.has(problem.message)) {
        if (!said.has(problem.message)) problems.push(problem);
        said.add(problem.message);
        continue;
      }
      // The value at fault is this entry of log-dirs; a shared key it meets (which may be a
      // cluster default, see webhook/judge.ts) counts too.
      const message = `${KEYS.logDirs} entry ${JSON.stringify(dir.path)}: ${problem.message}`;
      if (said.has(message)) continue;
      said.add(message);
      const other = [problem.key, problem.with].find((key) => key !== undefined && !(key in dir.overrides));
      problems.push({ key: KEYS.logDirs, value: listed, message, ...(other ? { with: other } : {}) });
    }
  }
  if (problems.length > 0) return { ok: false, problems, warnings: [...warnings] };
  return { ok: true, policy: directories[0]!.policy, directories, several: true, warnings: [...warnings] };
}

/** The messages of a directory without overrides: the problems of the shared keys. */
function sharedProblems(raw: RawAnnotations, fallback: RawAnnotations, path: string): Set<string> {
  const result = parsePolicy(directoryAnnotations(raw, { path, overrides: {} }), fallback);
  return new Set(result.ok ? [] : result.problems.map((p) => p.message));
}

/** The annotations a directory is parsed from: the pod's, its path as `log-dir`, its overrides. */
function directoryAnnotations(raw: RawAnnotations, dir: LogDirectory): RawAnnotations {
  return { ...raw, [KEYS.logDirs]: undefined, [KEYS.logDir]: dir.path, ...dir.overrides };
}
