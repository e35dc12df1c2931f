// One parser per kind of annotation value. Each reads the value in force for one key, and
// either returns what it means or reports, through `problem`, a message that names the key, the
// value and the accepted form; it then returns undefined, so checks across keys (cross-field.ts)
// skip it and one typo yields one message. The table (keys.ts) says which kind each key is.
import { CODECS, COMPRESSIONS, type Compression, isCompression } from './codecs.ts';
import { parseCron } from './cron.ts';
import { parseDuration } from './duration.ts';
import { parseGlobList } from './globs.ts';
import { KEYS, type Key, type KeyName, type KindOf } from './keys.ts';
import { checkLogDir } from './log-dir.ts';
import { parseQuantity } from './quantity.ts';
import { alternatives } from './text.ts';

/** A size given as a share of the size limit, or in bytes: resolved against the limit (sizes.ts). */
export type Share = { percent: number } | { bytes: number };

/** What each kind of setting parses to. */
export interface SettingValues {
  /** The log directory, cleaned (log-dir.ts). */
  path: string;
  /** Container names, each once; undefined for every app container. */
  'container-names': readonly string[] | undefined;
  /** Bytes of a Kubernetes quantity. */
  quantity: number;
  'percent-or-quantity': Share;
  /** Milliseconds. */
  duration: number;
  count: number;
  codec: Compression;
  /** A level of the codec the `compress` row chose. */
  level: number;
  cron: string;
  bool: boolean;
  globs: readonly string[];
  /** As written; undefined for `none`. */
  cpu: string | undefined;
  /** As written; undefined for `none`. */
  memory: string | undefined;
  /** A non-root uid or gid; undefined when not set. */
  id: number | undefined;
}

export type SettingKind = keyof SettingValues;

/**
 * Every kind: the settings, plus the keys that are not settings, which the policy does not
 * hold: the opt-in (opt-in.ts), the status the webhook writes, and the list of directories
 * (log-dirs.ts), each of which gets a policy of its own (directories.ts).
 */
export type Kind = SettingKind | 'opt-in' | 'status' | 'log-dirs';

/** The keys that are settings, by name (`maxAge`). */
export type SettingName = { [N in KeyName]: KindOf<N> extends SettingKind ? N : never }[KeyName];

/** Parsed settings by name, each of its kind's type; absent when refused or not set. */
export type SettingsRead = { -readonly [N in SettingName]?: SettingValues[KindOf<N> & SettingKind] };

export interface KindInput {
  key: Key;
  /** The value in force: the annotation, else the fallback (cluster default, flag), else built in. */
  text: string | undefined;
  /** The accepted form a refusal suggests, for kinds whose own does not fit every key. */
  hint: string;
  /** The settings of the rows above this one: a level is read against the chosen codec. */
  earlier: Readonly<SettingsRead>;
  problem(message: string): void;
}

type Parser<K extends SettingKind> = (input: KindInput) => SettingValues[K] | undefined;

const CPU = /^(\d+(?:\.\d+)?|\.\d+)m?$/;
const CONTAINER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const PERCENT = /^(\d+(?:\.\d+)?)%$/;
const WHOLE_NUMBER = /^\d+$/;
const MI = 2 ** 20;
const MAX_ID = 2 ** 31 - 1;

const quoted = ({ key, text }: KindInput) => `${key}: ${JSON.stringify(text)}`;

export const KINDS = {
  path: (input) => {
    if (input.text === undefined || input.text === '') {
      input.problem(`${input.key} is required (no default log directory is configured); use e.g. /log`);
      return undefined;
    }
    const checked = checkLogDir(input.text);
    if (checked.ok) return checked.path;
    input.problem(
      `${quoted(input)} ${checked.reason}; use the directory the app logs into, e.g. /log or /var/log/app`,
    );
    return undefined;
  },

  'container-names': (input) => {
    if (input.text === undefined || input.text.trim() === '') return undefined;
    // Listed twice is meant once: mounting the volume twice would get every pod refused.
    const names = [...new Set(input.text.split(',').map((name) => name.trim()))];
    const bad = names.filter((name) => !CONTAINER_NAME.test(name));
    if (bad.length === 0) return names;
    input.problem(
      `${quoted(input)} is not a comma list of container names (${bad.map((b) => JSON.stringify(b)).join(', ')} invalid); use e.g. app,worker`,
    );
    return undefined;
  },

  quantity: (input) => {
    const bytes = parseQuantity(input.text ?? '');
    if (bytes === undefined || bytes <= 0) {
      input.problem(`${quoted(input)} is not a positive Kubernetes quantity; use e.g. 512Mi or 2Gi`);
      return undefined;
    }
    return withUnit(input, bytes);
  },

  'percent-or-quantity': (input) => {
    const text = input.text ?? '';
    const percent = PERCENT.exec(text.trim());
    if (percent) {
      const share = Number(percent[1]);
      if (share > 0 && share <= 100) return { percent: share };
      input.problem(`${quoted(input)} is not a percent between 0 and 100 of ${KEYS.sizeLimit}; use e.g. 80%`);
      return undefined;
    }
    const bytes = parseQuantity(text);
    if (bytes === undefined || bytes <= 0) {
      input.problem(
        `${quoted(input)} is not a Kubernetes quantity or a percent of ${KEYS.sizeLimit}; use e.g. 800Mi or 80%`,
      );
      return undefined;
    }
    const checked = withUnit(input, bytes);
    return checked === undefined ? undefined : { bytes: checked };
  },

  duration: (input) => {
    const ms = parseDuration(input.text ?? '');
    if (ms === undefined) input.problem(`${quoted(input)} is not a duration; use e.g. ${input.hint}`);
    return ms;
  },

  count: (input) => {
    const text = input.text ?? '';
    if (WHOLE_NUMBER.test(text.trim())) return Number(text);
    input.problem(`${quoted(input)} is not a whole number; use e.g. ${input.hint}`);
    return undefined;
  },

  codec: (input) => {
    const text = (input.text ?? '').trim();
    if (isCompression(text)) return text;
    input.problem(`${quoted(input)} is not supported; use ${alternatives(COMPRESSIONS)}`);
    return undefined;
  },

  level: (input) => {
    const codec = input.earlier.compress;
    // A refused codec has its own message; `none` has no level.
    if (codec === undefined) return undefined;
    if (codec === 'none') return 0;
    const { levels, defaultLevel } = CODECS[codec];
    if (input.text === undefined) return defaultLevel;
    const level = WHOLE_NUMBER.test(input.text.trim()) ? Number(input.text) : Number.NaN;
    if (level >= levels.min && level <= levels.max) return level;
    input.problem(
      `${quoted(input)} is not a ${codec} level; use a whole number from ${levels.min} to ${levels.max}`,
    );
    return undefined;
  },

  cron: (input) => {
    const schedule = (input.text ?? '').trim();
    const parsed = parseCron(schedule);
    if (parsed.ok) return schedule;
    input.problem(
      `${quoted(input)} is not a cron expression (${parsed.error}); use 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, e.g. "* * * * *" or "*/30 * * * * *"`,
    );
    return undefined;
  },

  bool: (input) => parseBool(input.key, input.text, input.problem),

  globs: (input) => {
    const text = input.text ?? '';
    if (text.trim() === '') return [];
    const parsed = parseGlobList(text);
    if (parsed.ok) return parsed.patterns;
    input.problem(
      `${quoted(input)} ${parsed.reason}; use a comma list of globs relative to the log directory, e.g. *.log,*.log.*`,
    );
    return undefined;
  },

  cpu: (input) => {
    const text = (input.text ?? 'none').trim();
    if (text === 'none') return undefined;
    if (CPU.test(text)) return text;
    input.problem(`${quoted(input)} is not a CPU quantity; use e.g. 100m or 1, or none`);
    return undefined;
  },

  memory: (input) => {
    const text = (input.text ?? 'none').trim();
    if (text === 'none') return undefined;
    if (parseQuantity(text) !== undefined) return text;
    input.problem(`${quoted(input)} is not a memory quantity; use e.g. 64Mi or 256Mi, or none`);
    return undefined;
  },

  id: (input) => {
    if (input.text === undefined) return undefined;
    const id = WHOLE_NUMBER.test(input.text.trim()) ? Number(input.text) : Number.NaN;
    if (id >= 1 && id <= MAX_ID) return id;
    input.problem(`${quoted(input)} is not a non-root numeric id; use a whole number from 1, e.g. 1000`);
    return undefined;
  },
} satisfies { [K in SettingKind]: Parser<K> };

/** Each kind's accepted form, as the README's table of kinds states it (a test checks). */
export const KIND_FORMS = {
  'opt-in': '`"true"` or `"false"`',
  path: 'an absolute directory path, not a system directory (see below)',
  'log-dirs':
    'a comma list of such paths, none inside another; `path:name=value;name=value` sets a directory apart (see below)',
  'container-names': 'a comma list of container names',
  quantity: 'a Kubernetes quantity (`512Mi`, `2Gi`); a bare number below 1Mi is refused as a forgotten unit',
  'percent-or-quantity': 'a quantity, or a percent of `size-limit` (`80%`)',
  duration: '`30s`, `5m`, `12h`, `7d`, `2w`, or sums like `1h30m`',
  count: 'a whole number',
  codec: alternatives(COMPRESSIONS.map((name) => `\`${name}\``)),
  level: "a whole number in the codec's range",
  cron: 'a cron expression of 5 fields, or 6 with seconds first',
  bool: '`"true"` or `"false"`',
  globs:
    "a comma list of globs: `*` and `?` stay within a directory level, `**` crosses levels, `[...]` is a class; a pattern without `/` matches a file's name at any depth (as in `.gitignore`), one with `/` its whole path",
  cpu: 'a CPU quantity (`100m`, `1`), or `none`',
  memory: 'a memory quantity (`64Mi`), or `none`',
  id: 'a numeric id from 1 (not root)',
  status: 'written by the webhook',
} satisfies Record<Kind, string>;

export function isSettingKind(kind: Kind): kind is SettingKind {
  return kind in KINDS;
}

/** `"true"` / `"false"` only: `"yes"` or `"1"` silently meaning something is how outages start. */
export function parseBool(
  key: Key,
  text: string | undefined,
  problem: (message: string) => void,
): boolean | undefined {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text !== undefined) problem(`${key}: ${JSON.stringify(text)} is not a boolean; use "true" or "false"`);
  return undefined;
}

// "2" is a valid quantity of two bytes and almost certainly a forgotten unit: a budget of two
// bytes would empty every live file. A bare number is taken only from 1Mi up.
function withUnit(input: KindInput, bytes: number): number | undefined {
  if (bytes >= MI || !WHOLE_NUMBER.test((input.text ?? '').trim())) return bytes;
  input.problem(`${quoted(input)} has no unit and is under 1Mi; write the unit, e.g. 2Gi or 512Mi`);
  return undefined;
}
