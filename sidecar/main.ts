#!/usr/bin/env node
// Process entry for the sidecar alone (`node sidecar/main.ts --dir DIR ...`), equivalent to
// `logward sidecar ...`: the sidecar image and the tests need no other subcommand. Like
// cli/logward.ts, it only wires the process into the command and maps errors to exit codes.
import { once } from 'node:events';
import { exitCodeFor } from '../cli/errors.ts';
import { sidecarCommand } from './command.ts';

const stopSignal = Promise.race([once(process, 'SIGTERM'), once(process, 'SIGINT')]).then(([signal]) =>
  String(signal ?? 'SIGTERM'),
);

try {
  process.exitCode = await sidecarCommand(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    stopSignal,
  });
} catch (error) {
  process.stderr.write(`logward sidecar: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = exitCodeFor(error);
}
process.stdin.destroy();
process.removeAllListeners('SIGTERM');
process.removeAllListeners('SIGINT');
