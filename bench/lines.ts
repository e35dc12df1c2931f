// Counting what survived of a numbered-line writer (bench/writer.ts, --content numbered): every
// line starts with its 9-digit number. Lines are read back from the rotated files (decompressed)
// and the live file; holes left by writers without O_APPEND read as NULs and are dropped first.

export interface LineCount {
  /** Lines the writer wrote: 1..written. */
  written: number;
  /** Distinct numbers found. */
  found: number;
  /** Numbers in 1..written that appear nowhere. */
  lost: number;
  /** Extra copies: a number seen three times counts two. */
  duplicated: number;
  /** Lines that are not a whole numbered line (torn, or NUL-damaged beyond repair). */
  malformed: number;
}

/**
 * `buffer` without its NUL bytes. Holes can be most of a file (a copy of a sparse file writes
 * them out), so they go before anything becomes a string: strings top out at about 512 MiB.
 */
export function withoutNuls(buffer: Buffer): Buffer {
  const out = Buffer.allocUnsafe(buffer.length);
  let length = 0;
  let position = 0;
  while (position < buffer.length) {
    const zero = buffer.indexOf(0, position);
    const end = zero === -1 ? buffer.length : zero;
    length += buffer.copy(out, length, position, end);
    position = end;
    while (position < buffer.length && buffer[position] === 0) position++;
  }
  // A copy, so the full-size scratch buffer is not kept alive by a small result.
  return Buffer.from(out.subarray(0, length));
}

/** Numbers of the well-formed lines in `text`, in order; malformed lines counted apart. */
export function parseNumberedLines(text: string, width: number): { numbers: number[]; malformed: number } {
  const numbers: number[] = [];
  let malformed = 0;
  for (const line of text.replaceAll('\0', '').split('\n')) {
    if (line === '') continue;
    const number = /^\d{9} /.test(line) && line.length === width - 1 ? Number(line.slice(0, 9)) : 0;
    if (number > 0) numbers.push(number);
    else malformed++;
  }
  return { numbers, malformed };
}

export function countLines(numbers: Iterable<number>, written: number, malformed = 0): LineCount {
  const seen = new Uint16Array(written + 1);
  let duplicated = 0;
  let found = 0;
  for (const n of numbers) {
    if (n < 1 || n > written) {
      // A number the writer never reported writing: a torn tail counts as malformed.
      malformed++;
      continue;
    }
    if (seen[n]! > 0) duplicated++;
    else found++;
    if (seen[n]! < 65535) seen[n] = seen[n]! + 1;
  }
  return { written, found, lost: written - found, duplicated, malformed };
}
