// The tools Logward is compared with, installed from the distribution when missing, and their
// versions for the report.
import { spawnSync } from 'node:child_process';
import { hasCommand } from './processes.ts';

const PACKAGES: Record<string, string> = {
  logrotate: 'logrotate',
  gzip: 'gzip',
  zstd: 'zstd',
  openssl: 'openssl',
  taskset: 'util-linux',
  fallocate: 'util-linux',
};

function aptInstall(packages: string[], log: (line: string) => void): boolean {
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    }).status === 0;
  if (install()) return true;
  log('  apt-get install failed; running apt-get update first');
  spawnSync('apt-get', ['update'], { stdio: 'ignore' });
  return install();
}

/** Installs missing peers with apt-get (as root); throws naming what is still missing. */
export function ensurePeers(log: (line: string) => void): void {
  const missing = Object.keys(PACKAGES).filter((command) => !hasCommand(command));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((command) => PACKAGES[command]!))];
  log(`installing ${packages.join(', ')} (missing: ${missing.join(', ')})`);
  if (!hasCommand('apt-get') || process.getuid?.() !== 0 || !aptInstall(packages, log)) {
    const still = missing.filter((command) => !hasCommand(command));
    if (still.length > 0)
      throw new Error(
        `missing ${still.join(', ')}: install ${packages.join(' ')} (e.g. apt-get install -y ${packages.join(' ')}) and run again`,
      );
  }
}

function firstLine(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return (
    `${result.stdout ?? ''}${result.stderr ?? ''}`
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim() ?? 'unknown'
  );
}

export function peerVersions(): Record<string, string> {
  return {
    logrotate: firstLine('logrotate', ['--version']),
    gzip: firstLine('gzip', ['--version']),
    zstd: firstLine('zstd', ['--version']),
    openssl: firstLine('openssl', ['version']),
  };
}
