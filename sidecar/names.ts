// The names the sidecar itself writes. Recognising our own files by name is what lets the
// directory be the only state: a restart knows a leftover or a rotation of ours when it sees one.
import { posix } from 'node:path';
import {
  CODECS,
  type Codec,
  type Compression,
  codecOfName,
  withoutCodecExtension,
} from '../contract/codecs.ts';

const TEMP_SUFFIX = '.logward-tmp';

/** `.going.log.gz.logward-tmp` for `going.log.gz`: hidden, and unmistakably ours. */
export function tempNameFor(name: string): string {
  const { dir, base } = posix.parse(name);
  return posix.join(dir, `.${base}${TEMP_SUFFIX}`);
}

export function isTempName(name: string): boolean {
  const base = posix.basename(name);
  return base.startsWith('.') && base.endsWith(TEMP_SUFFIX);
}

export function isCompressedName(name: string): boolean {
  return codecOfName(name) !== undefined;
}

export function compressedName(name: string, compression: Compression): string {
  return compression === 'none' ? name : `${name}${CODECS[compression].extension}`;
}

// `2021-01-04T10-30-00-123Z`: ISO 8601 without `:` and `.`, so it survives every filesystem
// and sorts by time. streams.ts strips it like any other date stamp.
const ROTATION_STAMP = /\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z(?:\.\d+)?(?=\.|$)/;

function rotationStamp(now: number): string {
  return new Date(now).toISOString().replace(/[:.]/g, '-');
}

/**
 * `going.log` capped at `now` -> `going.2021-01-04T10-30-00-123Z.log`: the stamp goes before
 * the extension so tools that look at `.log` still recognise the file. `attempt` > 0 adds `.N`
 * for the rare second rotation within the same millisecond.
 */
export function rotatedName(name: string, now: number, attempt = 0): string {
  const { dir, name: stem, ext } = posix.parse(name);
  const [base, extension] = ext === '.log' ? [stem, ext] : [`${stem}${ext}`, ''];
  const suffix = attempt > 0 ? `.${attempt}` : '';
  return posix.join(dir, `${base}.${rotationStamp(now)}${suffix}${extension}`);
}

/** A file we rotated out of a live file: closed from birth, nobody else holds it open. */
export function isOurRotation(name: string): boolean {
  return ROTATION_STAMP.test(posix.basename(name));
}

/** The `attempt`-th extra part of a rotation: `a.<stamp>.log.gz` -> `a.<stamp>.2.log.gz`. */
export function withAttempt(rotated: string, attempt: number): string {
  if (attempt === 0) return rotated;
  const dir = posix.dirname(rotated);
  const base = posix
    .basename(rotated)
    .replace(ROTATION_STAMP, (stamp) => `${stamp.replace(/\.\d+$/, '')}.${attempt}`);
  return dir === '.' ? base : posix.join(dir, base);
}

/**
 * The `attempt`-th name to archive the closed file `name` under: `app.log.1.gz` first, then,
 * when that is taken (the app reuses `app.log.1` at every rollover), a name stamped with the
 * file's own mtime, `app.log.1.2021-01-04T10-30-00-123Z.gz`, then `....1.gz`, and so on. Every
 * generation keeps a name of its own.
 */
export function archiveName(name: string, compression: Codec, mtimeMs: number, attempt = 0): string {
  const extension = CODECS[compression].extension;
  if (attempt === 0) return `${name}${extension}`;
  const part = attempt > 1 ? `.${attempt - 1}` : '';
  return `${name}.${rotationStamp(mtimeMs)}${part}${extension}`;
}

/**
 * The name a file of ours was made from: `app.log.1` for `app.log.1.gz` and for
 * `app.log.1.<stamp>.gz`, `app.log` for `app.<stamp>.log.gz`. Ownership follows the source, so
 * an include pattern that names `access_log` covers its archives too.
 */
export function sourceName(name: string): string {
  const slash = name.lastIndexOf('/');
  const dir = name.slice(0, slash + 1);
  const base = withoutCodecExtension(name.slice(slash + 1)).replace(ROTATION_STAMP, '');
  return `${dir}${base}`;
}

/** Sort key of our rotations: stamp, then part. Names alone do not sort `.1` after none. */
export function rotationOrder(name: string): [string, number] {
  const match = /\.(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z)(?:\.(\d+))?(?=\.|$)/.exec(
    posix.basename(name),
  );
  return match ? [match[1]!, Number(match[2] ?? 0)] : ['', 0];
}
