#!/usr/bin/env node
// The process edge: wires the real streams and signals into `run` and turns its result into
// an exit code. Everything testable lives in run.ts.
import { once } from 'node:events';
import { run } from './run.ts';

const stopSignal = Promise.race([once(process, 'SIGTERM'), once(process, 'SIGINT')]).then(([signal]) =>
  String(signal ?? 'SIGTERM'),
);

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  stopSignal,
});
process.exitCode = code;
// Signal listeners and a paused stdin would otherwise keep a finished command alive.
process.stdin.destroy();
process.removeAllListeners('SIGTERM');
process.removeAllListeners('SIGINT');
