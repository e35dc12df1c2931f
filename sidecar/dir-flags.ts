// `--dir` given more than once, or with settings of its own, is a list of directories that one
// sidecar keeps, each under its own budget: `--dir=PATH[:name=value;...]`, the entry form of
// `logward.io/log-dirs` (contract/log-dirs.ts), which the webhook writes for a pod that uses it.
// Besides the policy flags' names, an entry takes `app-dir` (where the app sees the directory:
// its name in logs and metrics) and `volume-size-limit` (the volume's real sizeLimit).
import { resolve } from 'node:path';
import { UsageError } from '../base/errors.ts';
import { type Key, shortName } from '../contract/keys.ts';
import { DIRECTORY_FLAG_NAMES, splitEntry } from '../contract/log-dirs.ts';
import { parseQuantity } from '../contract/quantity.ts';
import { SIDECAR_POLICY_KEYS } from '../contract/sidecar-flags.ts';

export interface DirectoryArg {
  /** Where the sidecar sees the directory. */
  path: string;
  /** Its name in logs and metrics: where the app sees it, else the path. */
  label: string;
  volumeSizeLimit: string | undefined;
  /** This directory's policy values, by annotation key: over the shared flags. */
  policyFlags: Partial<Record<Key, string>>;
}

const FORM =
  'use --dir=PATH, or --dir=PATH:name=value;name=value with names of policy flags, app-dir or volume-size-limit';

/** undefined for one plain `--dir` (or none): the one-directory sidecar, as ever. */
export function parseDirFlags(values: readonly string[] | undefined): DirectoryArg[] | undefined {
  if (values === undefined || (values.length === 1 && !values[0]!.includes(':'))) return undefined;
  const directories = values.map(parseDirFlag);
  const paths = directories.map((d) => d.path);
  const twice = paths.find((path, i) => paths.indexOf(path) !== i);
  if (twice !== undefined)
    throw new UsageError(`--dir: ${JSON.stringify(twice)} is given twice; give each directory once`);
  const labels = directories.map((d) => d.label);
  const named = labels.find((label, i) => labels.indexOf(label) !== i);
  if (named !== undefined) {
    throw new UsageError(
      `--dir: two directories have the app-dir ${JSON.stringify(named)}; give each its own`,
    );
  }
  return directories;
}

function parseDirFlag(text: string): DirectoryArg {
  const split = splitEntry(text);
  if (!split.ok) throw new UsageError(`--dir: ${JSON.stringify(text)}: ${split.reason}; ${FORM}`);
  const { path, pairs } = split.entry;
  if (path === '') throw new UsageError(`--dir: ${JSON.stringify(text)} has no path; ${FORM}`);
  const resolved = resolve(path);
  const arg: DirectoryArg = { path: resolved, label: resolved, volumeSizeLimit: undefined, policyFlags: {} };
  for (const [name, value] of pairs) {
    if (name === DIRECTORY_FLAG_NAMES.appDir) {
      arg.label = value;
      continue;
    }
    if (name === DIRECTORY_FLAG_NAMES.volumeSizeLimit) {
      if (!((parseQuantity(value) ?? 0) > 0)) {
        throw new UsageError(
          `--dir: ${JSON.stringify(text)}: volume-size-limit ${JSON.stringify(value)} is not a positive Kubernetes quantity; use e.g. 512Mi or 2Gi`,
        );
      }
      arg.volumeSizeLimit = value;
      continue;
    }
    const key = SIDECAR_POLICY_KEYS.find((k) => shortName(k) === name);
    if (key === undefined) {
      throw new UsageError(
        `--dir: ${JSON.stringify(text)} sets ${JSON.stringify(name)}, which is not a flag; ${FORM}`,
      );
    }
    arg.policyFlags[key] = value;
  }
  return arg;
}
