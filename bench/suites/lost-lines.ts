// 1. Lost lines: a writer appends numbered lines at a fixed rate while the live file is capped
// K times, by the Logward sidecar (size-triggered) and by `logrotate -f` with copytruncate and
// compress (forced whenever the file reaches the same size). Every line is then looked for in
// the rotated files (decompressed) and the live file.
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readParts } from '../../sidecar/testing/streams.ts';
import type { BenchConfig } from '../config.ts';
import { countLines, type LineCount, parseNumberedLines, withoutNuls } from '../lines.ts';
import { runLogrotate, writeLogrotateConfig } from '../logrotate.ts';
import { sleep, startWriter } from '../processes.ts';
import { startSidecar } from '../sidecar.ts';

export type WriterMode = 'append' | 'offset';

export interface LostLinesRun extends LineCount {
  tool: 'logward' | 'logrotate';
  writer: WriterMode;
  caps: number;
  seconds: number;
  /** Logward: how the caps were done (collapse, punch, truncate). */
  methods?: Record<string, number>;
  bytesAtRisk?: number;
  errors?: number;
}

export interface LostLinesResult {
  linesPerSecond: number;
  width: number;
  maxFileBytes: number;
  runs: LostLinesRun[];
}

type Config = BenchConfig['lostLines'];

export async function lostLines(config: Config, root: string, log: (line: string) => void) {
  const runs: LostLinesRun[] = [];
  for (const writer of ['append', 'offset'] as const) {
    for (const tool of ['logward', 'logrotate'] as const) {
      const run =
        tool === 'logward'
          ? await withLogward(config, root, writer)
          : await withLogrotate(config, root, writer);
      log(
        `  ${tool} ${writer}: ${run.caps} caps in ${run.seconds.toFixed(1)} s, ${run.written} lines written, ${run.lost} lost, ${run.duplicated} duplicated, ${run.malformed} malformed`,
      );
      runs.push(run);
    }
  }
  return {
    linesPerSecond: config.linesPerSecond,
    width: config.width,
    maxFileBytes: config.maxFileBytes,
    runs,
  } satisfies LostLinesResult;
}

function count(text: string, written: number, width: number): LineCount {
  const { numbers, malformed } = parseNumberedLines(text, width);
  return countLines(numbers, written, malformed);
}

async function withLogward(config: Config, root: string, writer: WriterMode): Promise<LostLinesRun> {
  const dir = join(root, `lost-logward-${writer}`);
  mkdirSync(dir);
  const sidecar = await startSidecar([
    '--dir',
    dir,
    '--metrics-port',
    '0',
    '--size-limit',
    '1Gi',
    '--max-file-size',
    `${config.maxFileBytes / 1024}Ki`,
    '--max-files',
    '1000000',
    '--closed-after',
    '1s',
  ]);
  const target = config.caps[writer];
  const caps = () => sidecar.logs.filter((e) => e.msg === 'capped').length;
  const started = performance.now();
  const writing = startWriter({
    file: join(dir, 'app.log'),
    mode: writer,
    content: 'numbered',
    linesPerSecond: config.linesPerSecond,
    width: config.width,
  });
  while (caps() < target && performance.now() - started < config.timeoutMs[writer]) await sleep(20);
  const summary = await writing.stop();
  const seconds = (performance.now() - started) / 1000;
  // Let the sidecar finish the cap the last writes triggered.
  await sleep(1000);
  await sidecar.stop();
  const capped = sidecar.logs.filter((e) => e.msg === 'capped');
  const methods: Record<string, number> = {};
  for (const entry of capped) methods[String(entry.method)] = (methods[String(entry.method)] ?? 0) + 1;
  const text = Buffer.concat(readParts(dir, 'app.log').map((part) => withoutNuls(part.content))).toString(
    'latin1',
  );
  return {
    tool: 'logward',
    writer,
    caps: capped.length,
    seconds,
    methods,
    bytesAtRisk: capped.reduce((sum, e) => sum + Number(e.bytes_at_risk ?? 0), 0),
    errors: sidecar.logs.filter((e) => e.level === 'error').length,
    ...count(text, summary.lines, config.width),
  };
}

async function withLogrotate(config: Config, root: string, writer: WriterMode): Promise<LostLinesRun> {
  const dir = join(root, `lost-logrotate-${writer}`);
  const parts = join(root, `lost-logrotate-${writer}-parts`);
  mkdirSync(dir);
  mkdirSync(parts);
  const live = join(dir, 'app.log');
  // rotate 1: each forced run leaves app.log.1.gz, which we move aside before the next one, so
  // logrotate never spends time renaming a growing chain of old files.
  const setup = writeLogrotateConfig(dir, 'app.log', { rotate: 1, configDir: parts });
  const target = config.caps[writer];
  const started = performance.now();
  const writing = startWriter({
    file: live,
    mode: writer,
    content: 'numbered',
    linesPerSecond: config.linesPerSecond,
    width: config.width,
  });
  let caps = 0;
  while (caps < target && performance.now() - started < config.timeoutMs[writer]) {
    // The same trigger as the sidecar's: the file's data (not holes) reaches max-file-size.
    const stats = statSync(live, { throwIfNoEntry: false });
    if (!stats || Math.min(stats.size, stats.blocks * 512) < config.maxFileBytes) {
      await sleep(2);
      continue;
    }
    await runLogrotate(setup, true);
    caps++;
    renameSync(join(dir, 'app.log.1.gz'), join(parts, `part-${String(caps).padStart(7, '0')}.gz`));
  }
  const summary = await writing.stop();
  const seconds = (performance.now() - started) / 1000;
  const rotated = readdirSync(parts)
    .filter((name) => name.startsWith('part-'))
    .sort()
    .map((name) => withoutNuls(gunzipSync(readFileSync(join(parts, name)))));
  const text = Buffer.concat([...rotated, withoutNuls(readFileSync(live))]).toString('latin1');
  return { tool: 'logrotate', writer, caps, seconds, ...count(text, summary.lines, config.width) };
}
