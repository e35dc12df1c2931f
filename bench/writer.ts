// A child process that writes to a log file at a fixed rate, like an app under steady load
// (sidecar/testing/line-writer.ts writes as fast as it can; a benchmark needs a known rate).
//
//   node bench/writer.ts --file F --mode append|offset --content numbered|realistic
//                        (--lines-per-second N | --bytes-per-second N) [--seconds S] [--width 64]
//
// `append` opens with O_APPEND (what logging libraries do); `offset` writes at its own offset
// (a naive `open(path, 'w')`). Numbered content is one write(2) per line, each line its 9-digit
// number then padding to `width` bytes; realistic content writes whole lines from a pre-generated
// pool, up to 1 MiB per write(2). Stops at --seconds or SIGTERM and prints a JSON summary: the
// last line number written, bytes written, seconds.
import { closeSync, openSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { logText } from './realistic.ts';

const { values } = parseArgs({
  options: {
    file: { type: 'string' },
    mode: { type: 'string', default: 'append' },
    content: { type: 'string', default: 'numbered' },
    'lines-per-second': { type: 'string', default: '0' },
    'bytes-per-second': { type: 'string', default: '0' },
    seconds: { type: 'string', default: '3600' },
    width: { type: 'string', default: '64' },
  },
});
const width = Number(values.width);
const numbered = values.content === 'numbered';
const bytesPerSecond = numbered
  ? Number(values['lines-per-second']) * width
  : Number(values['bytes-per-second']);
if (!(bytesPerSecond > 0)) throw new Error('--lines-per-second or --bytes-per-second is required');

const padding = 'x'.repeat(Math.max(0, width - 11));
// 16 MiB of distinct lines: more than any compressor's window, so repeats do not flatter ratios.
// Generated before the file is opened, so the file appearing means writing has begun.
const pool = numbered ? Buffer.alloc(0) : logText(16 << 20, 7);
const fd = openSync(values.file!, values.mode === 'append' ? 'a' : 'w');
let poolAt = 0;
let line = 0;
let bytes = 0;
let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});

function writeNumbered(owed: number): void {
  for (let i = 0; i < owed; i++) {
    line++;
    bytes += writeSync(fd, `${String(line).padStart(9, '0')} ${padding}\n`);
  }
}

function writeRealistic(owed: number): void {
  while (owed > 0) {
    if (poolAt >= pool.length) poolAt = 0;
    let end = Math.min(pool.length, poolAt + Math.min(owed, 1 << 20));
    // Whole lines only: cut after the last newline in range (at least one line).
    const newline = pool.lastIndexOf(10, end - 1);
    end = newline >= poolAt ? newline + 1 : pool.indexOf(10, poolAt) + 1;
    const written = writeSync(fd, pool, poolAt, end - poolAt);
    poolAt += written;
    bytes += written;
    owed -= written;
  }
}

const started = performance.now();
const deadline = started + Number(values.seconds) * 1000;
while (!stopping && performance.now() < deadline) {
  // Open loop: what is owed follows the clock, so a stall is caught up rather than forgotten.
  const due = ((performance.now() - started) / 1000) * bytesPerSecond;
  if (numbered) writeNumbered(Math.floor(due / width) - line);
  else writeRealistic(Math.floor(due) - bytes);
  await new Promise((resolve) => setTimeout(resolve, 1));
}
closeSync(fd);
const seconds = (performance.now() - started) / 1000;
process.stdout.write(`${JSON.stringify({ lines: line, bytes, seconds })}\n`);
