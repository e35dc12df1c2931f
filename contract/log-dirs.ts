// `logward.io/log-dirs`: several log directories, each with its own volume and budget, in one
// annotation value. A directory may be set apart from the rest with overrides after a colon:
//
//   /var/log/nginx, /app/logs, /app/gc:size-limit=256Mi;max-age=1d
//
// Commas separate directories, a colon ends a path, semicolons separate `name=value` pairs, and
// names are the keys without `logward.io/`. So a path cannot hold `,` or `:`, and a value cannot
// hold `,` or `;` (a list such as `include` is overridden with one item). The sidecar's
// `--dir` takes the same form, so both halves read it with one parser.
import { KEYS, type Key, rowOf, shortName } from './keys.ts';
import { checkLogDir } from './log-dir.ts';
import type { Problem } from './policy.ts';
import { SIDECAR_POLICY_KEYS } from './sidecar-flags.ts';

/** Keys a directory may set for itself: what the sidecar reads, and which containers mount it. */
export const DIRECTORY_KEYS: readonly Key[] = [...SIDECAR_POLICY_KEYS, KEYS.containers];

export interface DirectoryEntry {
  /** The path as written, trimmed; cleaned by `parseLogDirs`, as-is from `splitEntries`. */
  path: string;
  /** `name=value` pairs after the path, by name as written (`size-limit`), in order. */
  pairs: readonly (readonly [string, string])[];
}

/**
 * What the sidecar's `--dir` holds besides overrides: where the app sees the directory (its
 * name in logs and metrics), and the volume's real sizeLimit, which no annotation may raise.
 */
export const DIRECTORY_FLAG_NAMES = { appDir: 'app-dir', volumeSizeLimit: 'volume-size-limit' } as const;

/** One entry's own syntax: `path[:name=value;...]`. Names are checked by the caller. */
export function splitEntry(
  entry: string,
): { ok: true; entry: DirectoryEntry } | { ok: false; reason: string } {
  const colon = entry.indexOf(':');
  const path = (colon < 0 ? entry : entry.slice(0, colon)).trim();
  const pairs: [string, string][] = [];
  if (colon >= 0) {
    for (const part of entry.slice(colon + 1).split(';')) {
      if (part.trim() === '') continue;
      const equals = part.indexOf('=');
      const name = (equals < 0 ? part : part.slice(0, equals)).trim();
      const value = equals < 0 ? '' : part.slice(equals + 1).trim();
      if (equals < 0 || name === '' || value === '') {
        return { ok: false, reason: `${JSON.stringify(part.trim())} is not name=value` };
      }
      if (pairs.some(([seen]) => seen === name)) return { ok: false, reason: `sets ${name} twice` };
      pairs.push([name, value]);
    }
  }
  return { ok: true, entry: { path, pairs } };
}

/** `path:name=value;name=value`: the spelling `splitEntry` reads. */
export function formatEntry(path: string, pairs: readonly (readonly [string, string])[]): string {
  return pairs.length === 0 ? path : `${path}:${pairs.map(([name, value]) => `${name}=${value}`).join(';')}`;
}

export interface LogDirectory {
  /** Cleaned (log-dir.ts). */
  path: string;
  /** Overrides for this directory, by full key. */
  overrides: Readonly<Partial<Record<Key, string>>>;
}

export type LogDirsResult = { ok: true; directories: LogDirectory[] } | { ok: false; problems: Problem[] };

/**
 * Each directory is a volume, a mount per container, and a watcher, a cron sweep and a budget
 * in one sidecar of fixed memory: a pod needing more has one tree to manage with `recursive`.
 */
export const MAX_DIRECTORIES = 16;

const FORM = `use e.g. ${JSON.stringify(rowOf(KEYS.logDirs).example)}`;

/**
 * Reads `logward.io/log-dirs`: every entry's path checked as `log-dir` is, no directory twice
 * nor inside another (two budgets would count the same files), and overrides only of the keys a
 * directory may set. Every problem is collected, each naming the key, the entry and the form.
 */
export function parseLogDirs(text: string): LogDirsResult {
  const key = KEYS.logDirs;
  const problems: Problem[] = [];
  const problem = (message: string) => problems.push({ key, value: text, message: `${key}: ${message}` });
  const entries = text.split(',').filter((entry) => entry.trim() !== '');
  if (entries.length === 0) {
    problem(`${JSON.stringify(text)} names no directory; ${FORM}`);
    return { ok: false, problems };
  }
  if (entries.length > MAX_DIRECTORIES) {
    problem(
      `lists ${entries.length} directories; list at most ${MAX_DIRECTORIES} (each is a volume and a watcher in the sidecar), or log under one directory and set ${KEYS.recursive}`,
    );
    return { ok: false, problems };
  }
  const directories: LogDirectory[] = [];
  for (const raw of entries) {
    const split = splitEntry(raw);
    if (!split.ok) {
      problem(`entry ${JSON.stringify(raw.trim())}: ${split.reason}; ${FORM}`);
      continue;
    }
    const { path, pairs } = split.entry;
    const checked = checkLogDir(path);
    if (!checked.ok) {
      problem(
        `entry ${JSON.stringify(path)} ${checked.reason}; use the directories the app logs into, ${FORM}`,
      );
      continue;
    }
    const overrides: Partial<Record<Key, string>> = {};
    for (const [name, value] of pairs) {
      const overridden = DIRECTORY_KEYS.find((k) => shortName(k) === name);
      if (overridden === undefined) {
        problem(
          `entry ${JSON.stringify(raw.trim())} sets ${JSON.stringify(name)}, which a directory cannot set apart; use ${DIRECTORY_KEYS.map(shortName).join(', ')}`,
        );
        continue;
      }
      overrides[overridden] = value;
    }
    directories.push({ path: checked.path, overrides });
  }
  for (const [i, dir] of directories.entries()) {
    for (const other of directories.slice(i + 1)) {
      if (other.path === dir.path) {
        problem(`lists ${JSON.stringify(dir.path)} twice; list each directory once`);
      } else if (other.path.startsWith(`${dir.path}/`) || dir.path.startsWith(`${other.path}/`)) {
        const [outer, inner] = other.path.startsWith(`${dir.path}/`) ? [dir, other] : [other, dir];
        problem(
          `${JSON.stringify(inner.path)} is inside ${JSON.stringify(outer.path)}: one directory's budget would count the other's files; list directories that do not nest`,
        );
      }
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, directories };
}
