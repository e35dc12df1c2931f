// 2. Bounded usage: a writer at R MB/s into a directory with a size limit, as kubelet enforces
// an emptyDir's sizeLimit (by measuring allocated blocks, evicting above it). The Logward
// sidecar with its defaults against logrotate run every minute with maxsize (the sidecar's
// max-file-size, 10% of the limit), copytruncate, compress and rotate 10 (its max-files).
// The 10 MB/s runs also give the footprint under load (CPU and memory of each tool).
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SidecarForm } from '../../sidecar/testing/sidecar-process.ts';
import type { BenchConfig } from '../config.ts';
import { startCronLoop } from '../cron-loop.ts';
import { allocatedBytes, fileCount, type Sample, sampleEvery, usageStats } from '../disk.ts';
import { buildImageForm, imageEnv, imageNodeFlags } from '../image-form.ts';
import { writeLogrotateConfig } from '../logrotate.ts';
import { sleep, startWriter } from '../processes.ts';
import { cpuTimes, memory } from '../procfs.ts';
import { startSidecar } from '../sidecar.ts';

const MiB = 2 ** 20;

export interface UsageRun {
  tool: 'logward' | 'logrotate';
  rateMBs: number;
  seconds: number;
  writtenBytes: number;
  limitBytes: number;
  peakBytes: number;
  peakRatio: number;
  secondsOverLimit: number;
  /** After the writer stopped: rotated files kept (compressed history), and how many. */
  historyBytes: number;
  historyFiles: number;
  endBytes: number;
  cpuSeconds: number;
  /** CPU seconds per second of run, in percent of one core. */
  cpuPercent: number;
  rssPeakBytes: number;
  rssMeanBytes: number;
  /** Logward: caps, last-resort caps, failed actions. logrotate: runs, and one in flight at the end. */
  events: Record<string, number>;
  /** Time from the live file first passing max-file-size to its first cap or truncation. */
  firstReactionMs?: number;
}

export interface UsageResult {
  limitBytes: number;
  maxFileBytes: number;
  minuteMs: number;
  scale: number;
  runs: UsageRun[];
}

type Config = BenchConfig['usage'];

export async function boundedUsage(config: Config, root: string, log: (line: string) => void) {
  // The sidecar as its image runs it, so its memory here is what a pod's would be (the
  // footprint section reports these runs' peak and counts it per 1,000 pods).
  const form = {
    entry: buildImageForm(join(root, 'usage-image'), log),
    nodeFlags: imageNodeFlags(),
    env: imageEnv(),
  };
  const runs: UsageRun[] = [];
  for (const rate of config.ratesMBs) {
    for (const tool of ['logward', 'logrotate'] as const) {
      const dir = join(root, `usage-${tool}-${rate}`);
      mkdirSync(dir);
      const run =
        tool === 'logward'
          ? await withLogward(config, dir, rate, form)
          : await withLogrotate(config, dir, rate);
      rmSync(dir, { recursive: true, force: true });
      log(
        `  ${tool} ${rate} MB/s: peak ${(run.peakRatio * 100).toFixed(0)}% of the limit, ${run.secondsOverLimit.toFixed(1)} s over it, history ${(run.historyBytes / MiB).toFixed(1)} MiB in ${run.historyFiles} files, CPU ${run.cpuPercent.toFixed(0)}%`,
      );
      runs.push(run);
    }
  }
  return {
    limitBytes: config.limitBytes,
    maxFileBytes: Math.floor(config.limitBytes / 10),
    minuteMs: config.minuteMs,
    scale: config.scale,
    runs,
  } satisfies UsageResult;
}

interface Watched {
  samples: (Sample & { live: number })[];
  rssPeak: number;
  rssMean: number;
}

/** Writes at `rate` for the run's time while sampling usage and the tool's memory. */
async function writeAndWatch(
  config: Config,
  dir: string,
  rate: number,
  rss: () => number,
  onStart: () => void = () => {},
): Promise<{ watched: Watched; writtenBytes: number; seconds: number }> {
  const live = join(dir, 'app.log');
  const writer = startWriter({
    file: live,
    mode: 'append',
    content: 'realistic',
    bytesPerSecond: rate * 1e6,
  });
  while (!existsSync(live)) await sleep(5);
  onStart();
  let rssPeak = 0;
  let rssSum = 0;
  let rssCount = 0;
  const sampler = sampleEvery(config.sampleMs, (at) => {
    const now = rss();
    rssPeak = Math.max(rssPeak, now);
    rssSum += now;
    rssCount++;
    const stats = statSync(live, { throwIfNoEntry: false });
    return { at, bytes: allocatedBytes(dir), live: stats ? stats.blocks * 512 : 0 };
  });
  const started = performance.now();
  await sleep(config.runMs);
  const summary = await writer.stop();
  const seconds = (performance.now() - started) / 1000;
  return {
    watched: { samples: sampler.stop(), rssPeak, rssMean: rssSum / Math.max(1, rssCount) },
    writtenBytes: summary.bytes,
    seconds,
  };
}

function firstReaction(samples: Watched['samples'], maxFileBytes: number): number | undefined {
  const crossed = samples.find((s) => s.live > maxFileBytes);
  if (!crossed) return undefined;
  const capped = samples.find((s) => s.at > crossed.at && s.live < maxFileBytes);
  return capped ? capped.at - crossed.at : undefined;
}

function summarize(
  tool: UsageRun['tool'],
  config: Config,
  rate: number,
  dir: string,
  run: { watched: Watched; writtenBytes: number; seconds: number },
  cpuSeconds: number,
  events: Record<string, number>,
): UsageRun {
  const { peak, msOverLimit } = usageStats(run.watched.samples, config.limitBytes);
  const isLive = (name: string) => name === 'app.log';
  const reactionMs = firstReaction(run.watched.samples, Math.floor(config.limitBytes / 10));
  return {
    tool,
    rateMBs: rate,
    seconds: run.seconds,
    writtenBytes: run.writtenBytes,
    limitBytes: config.limitBytes,
    peakBytes: peak,
    peakRatio: peak / config.limitBytes,
    secondsOverLimit: msOverLimit / 1000,
    historyBytes: allocatedBytes(dir, isLive),
    historyFiles: fileCount(dir, isLive),
    endBytes: allocatedBytes(dir),
    cpuSeconds,
    cpuPercent: (cpuSeconds / run.seconds) * 100,
    rssPeakBytes: run.watched.rssPeak,
    rssMeanBytes: run.watched.rssMean,
    events,
    ...(reactionMs !== undefined ? { firstReactionMs: reactionMs } : {}),
  };
}

async function withLogward(config: Config, dir: string, rate: number, form: SidecarForm): Promise<UsageRun> {
  const sidecar = await startSidecar(
    ['--dir', dir, '--metrics-port', '0', '--size-limit', `${config.limitBytes / MiB}Mi`],
    form,
  );
  const { pid } = sidecar;
  const cpuBefore = cpuTimes(pid).self;
  const run = await writeAndWatch(config, dir, rate, () => memory(pid).rss);
  const cpuSeconds = cpuTimes(pid).self - cpuBefore;
  // Let the cap or compression in progress finish, as it would with the app still running.
  await sleep(1000);
  const result = summarize('logward', config, rate, dir, run, cpuSeconds, {});
  const rssPeak = Math.max(result.rssPeakBytes, memory(pid).hwm);
  await sidecar.stop();
  const countOf = sidecar.count;
  return {
    ...result,
    rssPeakBytes: rssPeak,
    events: {
      caps: countOf('capped'),
      compressed: countOf('compressed'),
      deleted: countOf('deleted'),
      lastResortCaps: countOf('last_resort_cap'),
      failedActions: countOf('action_failed'),
    },
  };
}

async function withLogrotate(config: Config, dir: string, rate: number): Promise<UsageRun> {
  const configDir = `${dir}-config`;
  mkdirSync(configDir);
  const setup = writeLogrotateConfig(dir, 'app.log', {
    maxsize: Math.floor(config.limitBytes / 10),
    rotate: 10,
    configDir,
  });
  let loop: ReturnType<typeof startCronLoop> | undefined;
  const run = await writeAndWatch(
    config,
    dir,
    rate,
    () => loop?.rss() ?? 0,
    () => {
      loop = startCronLoop(setup, config.minuteMs);
    },
  );
  const cpuSeconds = loop!.cpuSeconds();
  const inFlight = await loop!.stop();
  const result = summarize('logrotate', config, rate, dir, run, cpuSeconds, {
    runs: loop!.runs.length,
    inFlightAtEnd: inFlight ? 1 : 0,
  });
  rmSync(configDir, { recursive: true, force: true });
  return result;
}
