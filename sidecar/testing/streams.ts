// Reads back a log stream the way a human would: our rotated parts in order, decompressed,
// then the live file. Used to check that no line was lost or duplicated.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { codecOfName } from '../../contract/codecs.ts';
import { CODEC_IMPLEMENTATIONS } from '../codecs.ts';
import { isOurRotation, rotationOrder } from '../names.ts';

export function decompress(path: string): Buffer {
  const raw = readFileSync(path);
  const codec = codecOfName(path);
  return codec === undefined ? raw : CODEC_IMPLEMENTATIONS[codec].decode(raw);
}

/** Our rotations of `live` (e.g. `app.log`), oldest first. */
export function rotatedParts(dir: string, live: string): string[] {
  const stem = live.replace(/\.log$/, '');
  return readdirSync(dir)
    .filter((name) => name.startsWith(`${stem}.`) && name !== live && isOurRotation(name))
    .sort((a, b) => {
      const [sa, pa] = rotationOrder(a);
      const [sb, pb] = rotationOrder(b);
      return sa < sb ? -1 : sa > sb ? 1 : pa - pb;
    });
}

/** Each part's content, rotated parts first, the live file last. */
export function readParts(dir: string, live: string): { name: string; content: Buffer }[] {
  const parts = rotatedParts(dir, live).map((name) => ({ name, content: decompress(join(dir, name)) }));
  return [...parts, { name: live, content: readFileSync(join(dir, live)) }];
}

/** Line numbers written by line-writer.ts, in the order they appear. */
export function lineNumbers(text: string): number[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => Number(line.slice(0, 9)));
}

/** Describes how `numbers` differs from 1..last: empty when every line appears once, in order. */
export function sequenceProblems(numbers: readonly number[], last: number): string[] {
  const problems: string[] = [];
  let expected = 1;
  for (const n of numbers) {
    if (n !== expected) problems.push(`expected line ${expected}, found ${n}`);
    if (problems.length >= 5) break;
    expected = n + 1;
  }
  if (problems.length === 0 && expected !== last + 1)
    problems.push(`ended at ${expected - 1}, writer wrote ${last}`);
  return problems;
}

export function stripNuls(buffer: Buffer): string {
  return buffer.toString('latin1').replaceAll('\0', '');
}
