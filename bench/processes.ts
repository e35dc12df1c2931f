// Child processes the benchmarks run: the fixed-rate writer, commands timed from spawn to exit,
// and CPU pinning with taskset when the machine has it.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';

const WRITER = new URL('./writer.ts', import.meta.url).pathname;

export function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

const canPin = hasCommand('taskset');

/** `command args` pinned to `cpu` with taskset (exec'd: the pid stays the command's own). */
export function pinned(cpu: number | undefined, command: string, args: string[]): [string, string[]] {
  if (cpu === undefined || !canPin) return [command, args];
  return ['taskset', ['-c', String(cpu), command, ...args]];
}

export function pinningAvailable(): boolean {
  return canPin;
}

export interface CommandResult {
  code: number | null;
  ms: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, timing it from spawn to exit. */
export async function runCommand(
  command: string,
  args: string[],
  timeoutMs = 600_000,
): Promise<CommandResult> {
  const started = performance.now();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, ms: performance.now() - started, stdout, stderr };
}

export interface WriterOptions {
  file: string;
  mode: 'append' | 'offset';
  content: 'numbered' | 'realistic';
  linesPerSecond?: number;
  bytesPerSecond?: number;
  seconds?: number;
  width?: number;
}

export interface WriterSummary {
  lines: number;
  bytes: number;
  seconds: number;
}

export interface Writer {
  child: ChildProcess;
  done: Promise<WriterSummary>;
  stop(): Promise<WriterSummary>;
}

export function startWriter(options: WriterOptions): Writer {
  const args = [
    WRITER,
    '--file',
    options.file,
    '--mode',
    options.mode,
    '--content',
    options.content,
    '--lines-per-second',
    String(options.linesPerSecond ?? 0),
    '--bytes-per-second',
    String(options.bytesPerSecond ?? 0),
    '--seconds',
    String(options.seconds ?? 3600),
    '--width',
    String(options.width ?? 64),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    out += text;
  });
  const done = new Promise<WriterSummary>((resolve, reject) =>
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as WriterSummary) : reject(new Error(`writer exited ${code}`)),
    ),
  );
  return {
    child,
    done,
    stop() {
      child.kill('SIGTERM');
      return done;
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
