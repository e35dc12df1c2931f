// The peer: the real logrotate binary, configured as a logrotate sidecar usually is
// (copytruncate, because the app keeps its file open; compress; a size trigger), run forced or
// from a cron-like loop.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CommandResult, pinned, runCommand } from './processes.ts';

export interface LogrotateSetup {
  config: string;
  state: string;
}

export function writeLogrotateConfig(
  dir: string,
  file: string,
  options: { maxsize?: number; rotate: number; configDir?: string },
): LogrotateSetup {
  const configDir = options.configDir ?? dir;
  const config = join(configDir, 'logrotate.conf');
  const lines = [
    `${join(dir, file)} {`,
    ...(options.maxsize !== undefined ? [`  maxsize ${Math.floor(options.maxsize)}`] : []),
    `  rotate ${options.rotate}`,
    '  copytruncate',
    '  compress',
    '  missingok',
    '  notifempty',
    '}',
  ];
  writeFileSync(config, `${lines.join('\n')}\n`, { mode: 0o644 });
  return { config, state: join(configDir, 'logrotate.state') };
}

export async function runLogrotate(
  setup: LogrotateSetup,
  force: boolean,
  cpu?: number,
): Promise<CommandResult> {
  const [command, args] = pinned(cpu, 'logrotate', [
    ...(force ? ['-f'] : []),
    '-s',
    setup.state,
    setup.config,
  ]);
  const result = await runCommand(command, args);
  if (result.code !== 0) throw new Error(`logrotate exited ${result.code}: ${result.stderr.trim()}`);
  return result;
}
