// 4. Compression: the same realistic log file compressed by the sidecar's code (gzip at its
// default level 6, zstd at its default 3), by `gzip -6` and `zstd -3`, and by logrotate's
// `compress` (copytruncate, as in the other comparisons). Each tool runs alone, pinned to the
// same core, on a fresh copy; the parent samples the directory's allocated bytes meanwhile.
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchConfig } from '../config.ts';
import { allocatedBytes, sampleEvery } from '../disk.ts';
import { runLogrotate, writeLogrotateConfig } from '../logrotate.ts';
import { pinned, runCommand } from '../processes.ts';
import { reapedChildrenCpu } from '../procfs.ts';
import { logText } from '../realistic.ts';

const COMPRESS_ONE = new URL('../compress-one.ts', import.meta.url).pathname;
const FILE = 'app.2024-05-01.log';
const CPU = 0;

export interface CompressionRun {
  tool: string;
  seconds: number;
  throughputMBs: number;
  /** CPU seconds of the tool's processes (logrotate's gzip included). */
  cpuSeconds: number;
  /** MB compressed per CPU second: what a dedicated core would do, whatever else ran. */
  cpuThroughputMBs: number;
  outBytes: number;
  ratio: number;
  /** Most allocated bytes above the source file alone, at any moment. */
  peakExtraBytes: number;
}

export interface CompressionResult {
  inputBytes: number;
  runs: CompressionRun[];
}

interface Tool {
  name: string;
  /** Wall time, ms; and the CPU seconds, when the tool counts its own (else its process's). */
  run(dir: string): Promise<number | { ms: number; cpuSeconds: number }>;
}

async function checked(command: string, args: string[]): Promise<number> {
  const [cmd, argv] = pinned(CPU, command, args);
  const result = await runCommand(cmd, argv);
  if (result.code !== 0) throw new Error(`${command} exited ${result.code}: ${result.stderr.trim()}`);
  return result.ms;
}

/**
 * The sidecar's own compressFile(), pinned like the CLI tools it is compared with. Its CPU is
 * what the call used, without Node's start (see compress-one.ts).
 */
function logward(compression: 'gzip' | 'zstd', level: number): Tool {
  return {
    name: `Logward ${compression} (level ${level})`,
    run: async (dir) => {
      const [cmd, argv] = pinned(CPU, process.execPath, [
        COMPRESS_ONE,
        '--dir',
        dir,
        '--file',
        FILE,
        '--compression',
        compression,
        '--level',
        String(level),
      ]);
      const result = await runCommand(cmd, argv);
      if (result.code !== 0) throw new Error(`compress-one exited ${result.code}: ${result.stderr.trim()}`);
      return JSON.parse(result.stdout) as { ms: number; cpuSeconds: number };
    },
  };
}

const TOOLS: Tool[] = [
  logward('gzip', 6),
  { name: 'gzip -6', run: (dir) => checked('gzip', ['-6', join(dir, FILE)]) },
  {
    name: 'logrotate compress (copytruncate)',
    run: async (dir) => {
      const configDir = `${dir}-config`;
      mkdirSync(configDir);
      const setup = writeLogrotateConfig(dir, FILE, { rotate: 1, configDir });
      const { ms } = await runLogrotate(setup, true, CPU);
      rmSync(configDir, { recursive: true, force: true });
      return ms;
    },
  },
  logward('zstd', 3),
  { name: 'zstd -3', run: (dir) => checked('zstd', ['-3', '-q', '--rm', join(dir, FILE)]) },
];

export async function compression(
  config: BenchConfig['compression'],
  root: string,
  log: (line: string) => void,
): Promise<CompressionResult> {
  const source = join(root, `compression-source.log`);
  writeFileSync(source, logText(config.bytes, 42));
  const inputBytes = statSync(source).size;
  const runs: CompressionRun[] = [];
  for (const tool of TOOLS) {
    const dir = join(root, `compression-${runs.length}`);
    mkdirSync(dir);
    copyFileSync(source, join(dir, FILE));
    const base = allocatedBytes(dir);
    const sampler = sampleEvery(10, () => allocatedBytes(dir));
    const cpuBefore = reapedChildrenCpu();
    const measured = await tool.run(dir);
    const ms = typeof measured === 'number' ? measured : measured.ms;
    const cpuSeconds = typeof measured === 'number' ? reapedChildrenCpu() - cpuBefore : measured.cpuSeconds;
    const peak = Math.max(...sampler.stop());
    const outputs = readdirSync(dir).filter((name) => name !== FILE && !name.startsWith('.'));
    const outBytes = outputs.reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
    const run: CompressionRun = {
      tool: tool.name,
      seconds: ms / 1000,
      throughputMBs: inputBytes / 1e6 / (ms / 1000),
      cpuSeconds,
      cpuThroughputMBs: inputBytes / 1e6 / cpuSeconds,
      outBytes,
      ratio: inputBytes / outBytes,
      peakExtraBytes: Math.max(0, peak - base),
    };
    log(
      `  ${run.tool}: ${run.throughputMBs.toFixed(1)} MB/s (${run.cpuThroughputMBs.toFixed(1)} per CPU second), ratio ${run.ratio.toFixed(2)}, peak extra ${(run.peakExtraBytes / 2 ** 20).toFixed(1)} MiB`,
    );
    runs.push(run);
    rmSync(dir, { recursive: true, force: true });
  }
  rmSync(source, { force: true });
  return { inputBytes, runs };
}
