// The issue's targets, checked against a run's figures. Reported, never asserted: a missed
// target is a finding for the product, not a failed build.
import { footprintChecks } from './footprint-targets.ts';
import { formatBytes, formatMs, formatNumber, formatPercent } from './format.ts';
import type { Results } from './results.ts';

export interface TargetCheck {
  target: string;
  measured: string;
  /** undefined: this run did not measure it (quick mode, or the section failed). */
  met: boolean | undefined;
  note?: string;
}

const MiB = 2 ** 20;
export const LOGWARD_WEBHOOK = 'logward webhook';

export function checkTargets(results: Results): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const quickNote = results.mode === 'quick' ? 'quick mode: scaled down, indicative only' : undefined;

  const append = results.lostLines?.runs.find((r) => r.tool === 'logward' && r.writer === 'append');
  checks.push({
    target: 'Lines lost with an O_APPEND writer: 0',
    measured: append
      ? `${append.lost} lost, ${append.duplicated} duplicated over ${append.caps} caps`
      : 'not measured',
    met: append ? append.lost === 0 : undefined,
    ...(append && append.caps < (results.mode === 'full' ? 1000 : 1)
      ? { note: `${append.caps} caps reached, 1,000 wanted` }
      : {}),
  });

  const usageRuns = results.usage?.runs.filter((r) => r.tool === 'logward') ?? [];
  const fastest = usageRuns.sort((a, b) => b.rateMBs - a.rateMBs)[0];
  const limit = results.usage?.limitBytes ?? 0;
  checks.push({
    target: 'Peak usage at 50 MB/s into 1 GiB: at most 0.9 of the limit',
    measured: fastest
      ? `${formatPercent(fastest.peakRatio)} of ${formatBytes(limit)} at ${fastest.rateMBs} MB/s`
      : 'not measured',
    met: fastest ? fastest.peakRatio <= 0.9 : undefined,
    ...(fastest && (fastest.rateMBs < 50 || limit < 2 ** 30)
      ? { note: quickNote ?? `measured at ${fastest.rateMBs} MB/s into ${formatBytes(limit)}` }
      : {}),
  });

  const reaction = results.reaction?.logward;
  const slowCaps = (results.usage?.runs ?? [])
    .filter((r) => r.tool === 'logward' && (r.firstReactionMs ?? 0) >= 1000)
    .map((r) => `${formatMs(r.firstReactionMs)} at ${r.rateMBs} MB/s`);
  checks.push({
    target: 'Reaction to a file crossing max-file-size: under 1 s',
    measured: reaction
      ? `median ${formatMs(reaction.medianMs)}, worst ${formatMs(reaction.maxMs)} over ${reaction.samplesMs.length} trials${reaction.timeouts ? `, ${reaction.timeouts} timed out` : ''}`
      : 'not measured',
    met: reaction ? reaction.timeouts === 0 && reaction.maxMs < 1000 : undefined,
    ...(slowCaps.length > 0
      ? {
          note: `trials with a 1 MiB max-file-size; at the default (${formatBytes(results.usage?.maxFileBytes)}) a cap finished ${slowCaps.join(', ')} after the crossing, the head being compressed first`,
        }
      : {}),
  });

  const gzip = results.compression?.runs.find((r) => r.tool.startsWith('Logward gzip'));
  const peer = results.compression?.runs.find((r) => r.tool === 'gzip -6');
  const cpuRatio = gzip && peer ? gzip.cpuThroughputMBs / peer.cpuThroughputMBs : undefined;
  checks.push({
    target: 'gzip throughput: at least 0.95x gzip -6',
    measured:
      gzip && peer
        ? `${formatNumber(cpuRatio, 2)}x per CPU second (${formatNumber(gzip.cpuThroughputMBs, 1)} vs ${formatNumber(peer.cpuThroughputMBs, 1)} MB/s); ${formatNumber(gzip.throughputMBs / peer.throughputMBs, 2)}x wall clock`
        : 'not measured',
    met: cpuRatio !== undefined ? cpuRatio >= 0.95 : undefined,
    note: 'judged per CPU second, which other work on the machine does not distort',
  });

  const zstd = results.compression?.runs.find((r) => r.tool.startsWith('Logward zstd'));
  const zstdPeer = results.compression?.runs.find((r) => r.tool === 'zstd -3');
  const zstdRatio = zstd && zstdPeer ? zstd.cpuThroughputMBs / zstdPeer.cpuThroughputMBs : undefined;
  checks.push({
    target: 'zstd throughput: at least 0.8x zstd -3',
    measured:
      zstd && zstdPeer
        ? `${formatNumber(zstdRatio, 2)}x per CPU second (${formatNumber(zstd.cpuThroughputMBs, 1)} vs ${formatNumber(zstdPeer.cpuThroughputMBs, 1)} MB/s); ${formatNumber(zstd.throughputMBs / zstdPeer.throughputMBs, 2)}x wall clock`
        : 'not measured',
    met: zstdRatio !== undefined ? zstdRatio >= 0.8 : undefined,
    note: 'judged per CPU second, which other work on the machine does not distort',
  });

  const idle = results.footprint?.idle.find((r) => r.tool === 'logward');
  checks.push({
    target: 'Idle CPU about 0 (at most 0.5% of a core)',
    measured: idle
      ? `${formatNumber(idle.cpuPercent, 2)}% of a core over ${formatNumber(idle.seconds)} s`
      : 'not measured',
    met: idle ? idle.cpuPercent <= 0.5 : undefined,
  });
  checks.push({
    target: 'Idle RSS at most 60 MiB',
    measured: idle
      ? `${formatBytes(idle.rssBytes)} (peak ${formatBytes(idle.rssPeakBytes)})`
      : 'not measured',
    met: idle ? idle.rssBytes <= 60 * MiB : undefined,
  });
  checks.push(...footprintChecks(results));

  const hook = (rate: number) =>
    results.webhook?.runs.find((r) => r.server === LOGWARD_WEBHOOK && r.offered === rate);
  const at1000 = hook(1000);
  checks.push({
    target: 'Webhook p99 at 1,000 reviews/s: at most 5 ms',
    measured: at1000
      ? `p99 ${formatMs(at1000.latencyMs.p99)} (achieved ${formatNumber(at1000.achieved)}/s)`
      : 'not measured',
    met: at1000
      ? at1000.latencyMs.p99 !== null && at1000.latencyMs.p99 <= 5 && at1000.achieved >= 990
      : undefined,
  });
  const at5000 = hook(5000);
  checks.push({
    target: 'Webhook: at least 5,000 reviews/s on one core',
    measured: at5000
      ? `${formatNumber(at5000.achieved)}/s achieved at 5,000/s offered; ${formatNumber(at5000.serverCpuPerReviewUs)} µs of CPU per review, so at most ${formatNumber(1e6 / at5000.serverCpuPerReviewUs)}/s on a dedicated core`
      : 'not measured',
    met: at5000 ? at5000.achieved >= 4950 : undefined,
  });
  return checks.map((check) => (quickNote && !check.note ? { ...check, note: quickNote } : check));
}
