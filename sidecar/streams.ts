// Groups file names into log streams: the files one writer produces over time. The rules:
//
// - Generations of one stream: a date stamp anywhere (`going.2021-01-04.log`,
//   `app-20210104.log`, `app.log.2021-01-04`), with an index after it (`app.2021-01-04.0.log`,
//   logback's size-and-time pattern; `app-2021-01-04-1.log.gz`, log4j's); a number after the
//   extension (`app.log.1`, Python's RotatingFileHandler); an explicit spill marker
//   (`going.2021-01-10.log.full.1.log`); a compression suffix; our rotation stamp.
// - A number before the extension is part of the name: `worker.1.log` and `worker.2.log` are
//   two workers, two streams.
// - Names that are only a date (`2021-01-04.log`) are one stream.
//
// Stripping those parts leaves the stream's key, so `going.2021-01-04.log` and
// `going.2021-01-11.log` are one stream `going.log`.
import { withoutCodecExtension } from '../contract/codecs.ts';

// Our rotation stamp, ISO dates with an optional time, and compact dates 19xx/20xx; each with
// an optional index after it, which the extension follows (`.0.log`, `-1.log`).
const INDEX = '(?:[-_.]\\d{1,6}(?=\\.|$))?';
const DATE_STAMPS = [
  new RegExp(
    `[-_.]?\\d{4}-\\d{2}-\\d{2}(?:[T_-]\\d{2}[-:]?\\d{2}(?:[-:]?\\d{2})?(?:[-.,]\\d{1,9})?Z?)?${INDEX}(?=[-_.]|$)`,
    'g',
  ),
  new RegExp(`[-_.]?(?:19|20)\\d{6}(?:[T_-]?\\d{6}(?:\\d{3})?Z?)?${INDEX}(?=[-_.]|$)`, 'g'),
];
const SPILL = /\.full\.\d+(\.log)?$/;
const GENERATION = /\.\d+$/;
/** The key of a stream whose names are dates only: `2021-01-04.log` -> `{date}.log`. */
const DATE_ONLY = '{date}';

/** The stream a file belongs to: its directory plus its name without stamps and suffixes. */
export function streamOf(name: string): string {
  const slash = name.lastIndexOf('/');
  const dir = name.slice(0, slash + 1);
  const base = name.slice(slash + 1);
  let stem = withoutCodecExtension(base);
  // Repeat: a spill of a dated file has both, in either order.
  for (let previous = ''; previous !== stem; ) {
    previous = stem;
    stem = stem.replace(SPILL, (_match, log: string | undefined) => log ?? '');
    stem = stem.replace(GENERATION, '');
    for (const stamp of DATE_STAMPS) stem = stem.replace(stamp, '');
    stem = stem.replace(/(\.log)+$/, '.log');
  }
  // Only a date was left out front: the names are dates.
  if (!base.startsWith('.') && (stem === '' || stem.startsWith('.'))) stem = `${DATE_ONLY}${stem}`;
  return `${dir}${stem}`;
}
