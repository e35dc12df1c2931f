// Groups file names into log streams. Apps and their logging libraries rotate in many styles:
// dated names (`going.2021-01-04.log`, `app-20210104.log`), numbered spills
// (`going.2021-01-10.log.full.1.log`, `app.log.1`), compressed rotations (`app.log.2.gz`) and
// ours (`going.2021-01-04T10-30-00-123Z.log.gz`). Stripping those parts leaves the stream's
// name, so `going.2021-01-04.log` and `going.2021-01-11.log` are one stream `going.log`.
import { posix } from 'node:path';

const COMPRESSION_SUFFIX = /\.(?:gz|zst)$/;
// Our rotation stamp, ISO dates with an optional time, and compact dates 19xx/20xx.
const DATE_STAMPS = [
  /[-_.]?\d{4}-\d{2}-\d{2}(?:[T_-]\d{2}[-:]?\d{2}(?:[-:]?\d{2})?(?:[-.,]\d{1,9})?Z?)?(?=[-_.]|$)/g,
  /[-_.]?(?:19|20)\d{6}(?:[T_-]?\d{6}(?:\d{3})?Z?)?(?=[-_.]|$)/g,
];
// `.full.1.log`, `.full.1`, `.1.log`, `.1` at the end, possibly repeated.
const SPILL_SUFFIX = /(?:\.full)?\.\d+(?:\.log)?$/;

/** The stream a file belongs to: its directory plus its name without stamps and suffixes. */
export function streamOf(name: string): string {
  const { dir, base } = posix.parse(name);
  let stem = base.replace(COMPRESSION_SUFFIX, '');
  // Repeat: a spill of a dated file has both, in either order.
  for (let previous = ''; previous !== stem; ) {
    previous = stem;
    stem = stem.replace(SPILL_SUFFIX, (match) => (match.endsWith('.log') ? '.log' : ''));
    for (const stamp of DATE_STAMPS) stem = stem.replace(stamp, '');
    stem = stem.replace(/(\.log)+$/, '.log');
  }
  if (stem === '' || stem === '.log') stem = base;
  return posix.join(dir, stem);
}
