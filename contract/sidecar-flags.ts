// The sidecar's policy flags: each key the sidecar reads is a flag of the key's name
// (`logward.io/max-age` -> `--max-age`). The webhook writes them into the injected container
// and the sidecar parses them, both from here, so the two spellings cannot drift. A key of kind
// bool is a switch that takes no value (`--recursive`, `--no-recursive`); the rest take one.
import { type Key, ROWS, rowOf, shortName } from './keys.ts';

/** The keys the sidecar reads, in the table's order (the order of the flags on a pod). */
export const SIDECAR_POLICY_KEYS: readonly Key[] = ROWS.filter((row) => row.readBy.includes('sidecar')).map(
  (row) => row.key,
);

function isSwitch(key: Key): boolean {
  return rowOf(key).kind === 'bool';
}

/** `--max-age` for `logward.io/max-age`. */
export function flagOf(key: Key): string {
  return `--${shortName(key)}`;
}

/** The arguments that pass `value` for `key`: `--max-age=7d`, or `--recursive` / `--no-recursive`. */
export function sidecarFlagArgs(key: Key, value: string): string[] {
  if (isSwitch(key)) return [value === 'true' ? flagOf(key) : `--no-${shortName(key)}`];
  return [`${flagOf(key)}=${value}`];
}

/** The policy flags as `node:util` parseArgs options (switches are negatable with `--no-`). */
export function sidecarFlagOptions(): Record<string, { type: 'boolean' | 'string' }> {
  return Object.fromEntries(
    SIDECAR_POLICY_KEYS.map((key) => [shortName(key), { type: isSwitch(key) ? 'boolean' : 'string' }]),
  );
}

/** `--max-age 12h` or `--recursive, --no-recursive`: how `--help` shows a flag. */
export function flagUsage(key: Key, placeholder: string): string {
  return isSwitch(key) ? `${flagOf(key)}, --no-${shortName(key)}` : `${flagOf(key)} ${placeholder}`;
}
