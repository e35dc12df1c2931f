import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const LOGWARD = fileURLToPath(new URL('../../cli/logward.ts', import.meta.url));

export interface WebhookProcess {
  pid: number;
  port: number;
  opsPort: number;
  /** Every JSON log line the process wrote so far. */
  logs: Record<string, unknown>[];
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** `logward webhook` as a real process, resolved once it logs that it is serving. */
export async function startWebhook(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 30_000,
  /** The CLI to run: the TypeScript sources, or JavaScript from `buildJavaScript`. */
  cli = LOGWARD,
): Promise<WebhookProcess> {
  const child: ChildProcess = spawn(process.execPath, [cli, 'webhook', '--host=127.0.0.1', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk) => stderr.push(String(chunk)));
  const started = new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`webhook did not start in ${timeoutMs}ms: ${stderr.join('')}`)),
      timeoutMs,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`webhook exited with ${code} before serving: ${stderr.join('')}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      logs.push(entry);
      if (String(entry.msg).startsWith('webhook started')) {
        clearTimeout(timer);
        resolve(entry);
      }
    });
  });
  let entry: Record<string, unknown>;
  try {
    entry = await started;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const address = (key: string) => (entry[key] as { port: number }[])[0]!.port;
  return {
    pid: child.pid!,
    port: address('admission'),
    opsPort: address('ops'),
    logs,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const [code] = await exited;
      clearTimeout(timer);
      return code as number | null;
    },
  };
}

/**
 * The JavaScript the images run (`npm run build`), compiled into `dir` with the package.json and
 * node_modules it needs; returns the CLI's path. For measuring what production runs: type
 * stripping alone costs a process about 30 MiB.
 */
export async function buildJavaScript(dir: string): Promise<string> {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  await promisify(execFile)(join(root, 'node_modules', '.bin', 'tsc'), [
    '-p',
    join(root, 'tsconfig.build.json'),
    '--outDir',
    dir,
  ]);
  await copyFile(join(root, 'package.json'), join(dir, 'package.json'));
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'));
  return join(dir, 'cli', 'logward.js');
}
