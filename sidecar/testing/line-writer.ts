// A child process that appends numbered lines to a file as fast as it can, like an app logging
// under load. `--mode append` opens with O_APPEND (what logging libraries do); `--mode offset`
// writes at its own file offset (what a naive `open(path, 'w')` does). One write(2) per line,
// so a line is never torn by another writer. Prints the last number written when done.
//
//   node sidecar/testing/line-writer.ts --file F --mode append --seconds 2 [--lines N] [--width 64]
//     [--rate MiB/s]   (paced; as fast as it can without)
import { closeSync, openSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    file: { type: 'string' },
    mode: { type: 'string', default: 'append' },
    seconds: { type: 'string', default: '1' },
    lines: { type: 'string', default: '0' },
    width: { type: 'string', default: '64' },
    rate: { type: 'string', default: '0' },
  },
});
const width = Number(values.width);
const bytesPerMs = (Number(values.rate) * 2 ** 20) / 1000;
const pause = new Int32Array(new SharedArrayBuffer(4));
const started = Date.now();
const maxLines = Number(values.lines) || Number.POSITIVE_INFINITY;
const deadline = Date.now() + Number(values.seconds) * 1000;
const fd = openSync(values.file!, values.mode === 'append' ? 'a' : 'w');
const padding = 'x'.repeat(Math.max(0, width - 11));
let n = 0;
let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});
while (!stopping && n < maxLines && (n % 256 !== 0 || Date.now() < deadline)) {
  n++;
  writeSync(fd, `${String(n).padStart(9, '0')} ${padding}\n`);
  if (bytesPerMs > 0 && n % 64 === 0) {
    const ahead = (n * width) / bytesPerMs - (Date.now() - started);
    if (ahead > 1) Atomics.wait(pause, 0, 0, ahead);
  }
  // Let the SIGTERM handler run now and then.
  if (n % 65536 === 0) await new Promise((resolve) => setImmediate(resolve));
}
closeSync(fd);
process.stdout.write(`${n}\n`);
