// A child process that holds a log file open (O_APPEND) the way a long-lived worker does, and
// writes a line whenever its parent sends one on stdin: it can go quiet for as long as a test
// likes and then write again through the same descriptor. Answers `ok` after each write.
//
//   node sidecar/testing/held-writer.ts FILE
import { closeSync, openSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';

const fd = openSync(process.argv[2]!, 'a');
for await (const line of createInterface({ input: process.stdin })) {
  writeSync(fd, `${line}\n`);
  process.stdout.write('ok\n');
}
closeSync(fd);
