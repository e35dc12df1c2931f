// Which files are logs, from the policy's include and exclude globs. A file outside the set is
// never capped, compressed, renamed or deleted. Our own archives and rotations count as logs
// when the file they were made from does, so `include: access_log` covers `access_log.gz`.
import { compileGlobs } from '../contract/globs.ts';
import type { Policy } from '../contract/policy.ts';
import { sourceName } from './names.ts';

export type IsLog = (name: string) => boolean;

// Patterns change only with the annotations: compiled once per distinct pair of lists.
let cached: { key: string; isLog: IsLog } | undefined;

export function logMatcher(policy: Pick<Policy, 'include' | 'exclude'>): IsLog {
  const key = `${policy.include.join(',')}\n${policy.exclude.join(',')}`;
  if (cached?.key === key) return cached.isLog;
  const included = compileGlobs(policy.include);
  const excluded = compileGlobs(policy.exclude);
  const isLog: IsLog = (name) => {
    const source = sourceName(name);
    if (excluded(name) || (source !== name && excluded(source))) return false;
    return included(name) || (source !== name && included(source));
  };
  cached = { key, isLog };
  return isLog;
}
