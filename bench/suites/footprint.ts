// 5. Footprint, with the sidecar in the form its image runs (the built JavaScript, the
// ENTRYPOINT's node flags and the image's environment, image-form.ts):
// - idle: the sidecar watching a quiet directory, next to logrotate's cron loop over a quiet
//   file and a bare Node process (the same node, the same flags, an empty script), side by
//   side for the same window (nothing is written, so they do not disturb each other);
// - start to first sweep: from spawn until the first pass has acted on a directory that needs
//   one action (a closed file to compress);
// - a heavy writer (50 MB/s): the sidecar's peak memory while it caps and compresses.
// The footprint under a 10 MB/s writer comes from the bounded-usage runs.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSidecar as spawnSidecar } from '../../sidecar/testing/sidecar-process.ts';
import type { BenchConfig } from '../config.ts';
import { startCronLoop } from '../cron-loop.ts';
import { buildImageForm, imageEnv, imageNodeFlags } from '../image-form.ts';
import { writeLogrotateConfig } from '../logrotate.ts';
import { sleep, startWriter } from '../processes.ts';
import { cpuTimes, memory } from '../procfs.ts';
import { startSidecar } from '../sidecar.ts';

const BARE_NODE = new URL('../bare-node.js', import.meta.url).pathname;

export interface FootprintRun {
  tool: 'logward' | 'logrotate' | 'node';
  seconds: number;
  cpuSeconds: number;
  cpuPercent: number;
  rssBytes: number;
  rssPeakBytes: number;
}

export interface HeavyWriterRun {
  rateMBs: number;
  /** What the writer achieved: the machine may not keep up. */
  writtenMBs: number;
  seconds: number;
  limit: string;
  cpuSeconds: number;
  rssPeakBytes: number;
  caps: number;
  failures: number;
}

export interface FootprintResult {
  /** The sidecar (as its image runs it), logrotate's loop and a bare Node process, idle. */
  idle: FootprintRun[];
  loaded: FootprintRun[];
  loadedRateMBs: number | undefined;
  /** The node flags and environment the image runs with, which the bare Node process had too. */
  nodeFlags?: string[];
  env?: Record<string, string>;
  /** Spawn to the end of the first pass, each trial. */
  firstSweepMs?: number[];
  /** CPU the sidecar had used by then, each trial: what a busy machine does not inflate. */
  firstSweepCpuMs?: number[];
  heavy?: HeavyWriterRun;
}

export async function footprint(
  config: BenchConfig['footprint'],
  minuteMs: number,
  root: string,
  log: (line: string) => void,
): Promise<Omit<FootprintResult, 'loaded' | 'loadedRateMBs'>> {
  const entry = buildImageForm(join(root, 'image'), log);
  const nodeFlags = imageNodeFlags();
  const env = imageEnv();
  const form = { entry, nodeFlags, env };
  const idle = await idleFootprint(config, minuteMs, root, form);
  for (const r of idle)
    log(`  idle ${r.tool}: CPU ${r.cpuPercent.toFixed(2)}%, RSS ${(r.rssBytes / 2 ** 20).toFixed(1)} MiB`);
  const firstSweepMs: number[] = [];
  const firstSweepCpuMs: number[] = [];
  for (let trial = 0; trial < config.startTrials; trial++) {
    const start = await startToFirstSweep(join(root, `start-${trial}`), form);
    firstSweepMs.push(start.ms);
    firstSweepCpuMs.push(start.cpuMs);
  }
  log(
    `  start to first sweep: ${firstSweepMs.map((ms) => ms.toFixed(0)).join(', ')} ms (CPU ${firstSweepCpuMs.map((ms) => ms.toFixed(0)).join(', ')} ms)`,
  );
  const heavy = await heavyWriter(config, join(root, 'heavy'), form);
  log(
    `  ${heavy.rateMBs} MB/s writer (${heavy.writtenMBs.toFixed(1)} achieved): peak RSS ${(heavy.rssPeakBytes / 2 ** 20).toFixed(1)} MiB, ${heavy.caps} caps`,
  );
  return { idle, nodeFlags, env, firstSweepMs, firstSweepCpuMs, heavy };
}

interface Form {
  entry: string;
  nodeFlags: string[];
  env: Record<string, string>;
}

async function idleFootprint(
  config: BenchConfig['footprint'],
  minuteMs: number,
  root: string,
  form: Form,
): Promise<FootprintRun[]> {
  const sidecarDir = join(root, 'idle-logward');
  const rotateDir = join(root, 'idle-logrotate');
  for (const dir of [sidecarDir, rotateDir]) {
    mkdirSync(dir);
    writeFileSync(join(dir, 'app.log'), 'a quiet app\n'.repeat(1000));
  }
  const sidecar = await startSidecar(['--dir', sidecarDir, '--metrics-port', '0'], form);
  const bare = spawn(process.execPath, [...form.nodeFlags, BARE_NODE], {
    stdio: 'ignore',
    env: { ...process.env, ...form.env },
  });
  const loop = startCronLoop(
    writeLogrotateConfig(rotateDir, 'app.log', { maxsize: 100 << 20, rotate: 10 }),
    minuteMs,
  );
  // Start-up work (imports, the first sweep) is not idling.
  await sleep(2000);
  const sidecarBefore = cpuTimes(sidecar.pid).self;
  const bareBefore = cpuTimes(bare.pid!).self;
  const loopBefore = loop.cpuSeconds();
  let loopRssPeak = 0;
  const started = performance.now();
  while (performance.now() - started < config.idleMs) {
    loopRssPeak = Math.max(loopRssPeak, loop.rss());
    await sleep(100);
  }
  const seconds = (performance.now() - started) / 1000;
  const sidecarCpu = cpuTimes(sidecar.pid).self - sidecarBefore;
  const bareCpu = cpuTimes(bare.pid!).self - bareBefore;
  const loopCpu = loop.cpuSeconds() - loopBefore;
  const sidecarMemory = memory(sidecar.pid);
  const bareMemory = memory(bare.pid!);
  const loopRss = loop.rss();
  await sidecar.stop();
  bare.kill('SIGTERM');
  await loop.stop();
  const run = (tool: FootprintRun['tool'], cpuSeconds: number, rssBytes: number, rssPeakBytes: number) => ({
    tool,
    seconds,
    cpuSeconds,
    cpuPercent: (cpuSeconds / seconds) * 100,
    rssBytes,
    rssPeakBytes,
  });
  return [
    run('logward', sidecarCpu, sidecarMemory.rss, sidecarMemory.hwm),
    run('logrotate', loopCpu, loopRss, Math.max(loopRssPeak, loopRss)),
    run('node', bareCpu, bareMemory.rss, bareMemory.hwm),
  ];
}

/** One closed file to compress next to the live one: the first pass has exactly that to do. */
async function startToFirstSweep(dir: string, form: Form): Promise<{ ms: number; cpuMs: number }> {
  mkdirSync(dir);
  const closed = join(dir, 'app.2024-05-01.log');
  writeFileSync(closed, 'yesterday\n'.repeat(10_000));
  const dayAgo = new Date(Date.now() - 86_400_000);
  utimesSync(closed, dayAgo, dayAgo);
  writeFileSync(join(dir, 'app.2024-05-02.log'), 'today\n');
  const started = performance.now();
  const sidecar = spawnSidecar(['--dir', dir, '--metrics-port', '0'], form);
  try {
    await sidecar.waitFor((entry) => entry.msg === 'sweep', 30_000);
    const ms = performance.now() - started;
    return { ms, cpuMs: cpuTimes(sidecar.child.pid!).self * 1000 };
  } finally {
    await sidecar.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function heavyWriter(
  config: BenchConfig['footprint'],
  dir: string,
  form: Form,
): Promise<HeavyWriterRun> {
  mkdirSync(dir);
  const sidecar = await startSidecar(
    ['--dir', dir, '--size-limit', config.heavyLimit, '--metrics-port', '0'],
    form,
  );
  const cpuBefore = cpuTimes(sidecar.pid).self;
  const writer = startWriter({
    file: join(dir, 'app.log'),
    mode: 'append',
    content: 'realistic',
    bytesPerSecond: config.heavyMBs * 1e6,
    seconds: config.heavyMs / 1000,
  });
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, memory(sidecar.pid).hwm);
  }, 50);
  const written = await writer.done;
  // The backlog the writer left (a cap, a compression in flight) is part of the load.
  await sleep(2000);
  clearInterval(sampler);
  peak = Math.max(peak, memory(sidecar.pid).hwm);
  const cpuSeconds = cpuTimes(sidecar.pid).self - cpuBefore;
  const caps = sidecar.count('capped');
  const failures = sidecar.logs.filter((e) => e.level === 'error').length;
  await sidecar.stop();
  rmSync(dir, { recursive: true, force: true });
  return {
    rateMBs: config.heavyMBs,
    writtenMBs: written.bytes / 1e6 / written.seconds,
    seconds: written.seconds,
    limit: config.heavyLimit,
    cpuSeconds,
    rssPeakBytes: peak,
    caps,
    failures,
  };
}
