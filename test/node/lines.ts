/**
 * Counts the seed app's lines (test/node/images/going.sh) in whatever files a log directory
 * holds after rotation: every line is `seq=N ... end=N`, so a line cut in two by a cap (the
 * sidecar cuts at a block boundary: the head of the line ends one file, its tail starts
 * another) is put back together by trying the loose ends against each other. Pure: contents
 * in, counts out.
 */

const LINE = /^seq=(\d+) .* end=(\d+)$/;

export interface LineCount {
  /** Every sequence number found, whole or rejoined. */
  seqs: Set<number>;
  /** Lines found more than once (a copy not yet removed is a duplicate, never a loss). */
  duplicates: number;
  /** Loose ends no other loose end completes. */
  unmatchedFragments: string[];
}

export function countLines(contents: readonly string[]): LineCount {
  const seqs = new Set<number>();
  let duplicates = 0;
  const add = (seq: number) => {
    if (seqs.has(seq)) duplicates++;
    else seqs.add(seq);
  };
  const heads: string[] = [];
  const tails: string[] = [];
  for (const raw of contents) {
    // Holes a cap may leave read as NULs; they are not text.
    const text = raw.replaceAll('\0', '');
    if (text === '') continue;
    const pieces = text.split('\n');
    const last = pieces.pop()!;
    // An unterminated last piece is the first part of a line whose rest is elsewhere.
    if (last !== '') tails.push(last);
    pieces.forEach((piece, i) => {
      const seq = wholeLine(piece);
      if (seq !== undefined) add(seq);
      // Only a file's first piece can be the second part of a line cut in two.
      else if (i === 0) heads.push(piece);
      else heads.push(piece); // corrupt; reported as unmatched unless something completes it
    });
  }
  const unmatched: string[] = [];
  for (const tail of tails) {
    const index = heads.findIndex((head) => wholeLine(tail + head) !== undefined);
    if (index === -1) {
      unmatched.push(tail);
      continue;
    }
    add(wholeLine(tail + heads[index]!)!);
    heads.splice(index, 1);
  }
  return { seqs, duplicates, unmatchedFragments: [...unmatched, ...heads] };
}

/** The sequence number of a whole line, or undefined for a fragment. */
function wholeLine(line: string): number | undefined {
  const match = LINE.exec(line);
  if (!match || match[1] !== match[2]) return undefined;
  return Number(match[1]);
}

/** Sequence numbers in 1..total that were not found. */
export function missing(count: LineCount, total: number): number[] {
  const out: number[] = [];
  for (let seq = 1; seq <= total; seq++) if (!count.seqs.has(seq)) out.push(seq);
  return out;
}
