// A child process that logs like Python's logging.handlers.RotatingFileHandler (logback's and
// log4j's fixed-window policies do the same): numbered lines into FILE, and before a line would
// take FILE past --max-bytes, a rollover: FILE.{n-1} -> FILE.n down to FILE -> FILE.1, each
// rename replacing what was there (doRollover removes the destination first). Pauses between
// lines so a sidecar sees the closed generations. Prints the last line number when done.
//
//   node sidecar/testing/rotating-writer.ts --file F --max-bytes N --backups K --lines L [--pause-ms P]
import { closeSync, existsSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    file: { type: 'string' },
    'max-bytes': { type: 'string' },
    backups: { type: 'string', default: '5' },
    lines: { type: 'string' },
    'pause-ms': { type: 'string', default: '0' },
  },
});
const file = values.file!;
const maxBytes = Number(values['max-bytes']);
const backups = Number(values.backups);
const pause = Number(values['pause-ms']);

function rollover(): void {
  for (let i = backups - 1; i > 0; i--) {
    const source = `${file}.${i}`;
    const destination = `${file}.${i + 1}`;
    if (existsSync(source)) {
      if (existsSync(destination)) rmSync(destination);
      renameSync(source, destination);
    }
  }
  if (existsSync(`${file}.1`)) rmSync(`${file}.1`);
  renameSync(file, `${file}.1`);
}

let fd = openSync(file, 'a');
let size = 0;
const total = Number(values.lines);
for (let n = 1; n <= total; n++) {
  const line = `${String(n).padStart(9, '0')} ${'x'.repeat(50)}\n`;
  if (size + line.length > maxBytes) {
    closeSync(fd);
    rollover();
    fd = openSync(file, 'a');
    size = 0;
  }
  writeSync(fd, line);
  size += line.length;
  if (pause > 0) await sleep(pause);
}
closeSync(fd);
process.stdout.write(`${total}\n`);
