// The issue's targets, checked against a run's figures. Reported, never asserted: a missed
// target is a finding for the product, not a failed build.
import { footprintChecks } from './footprint-targets.ts';
import { formatBytes, formatMs, formatNumber, formatPercent } from './format.ts';
import type { Results } from './results.ts';
import { FLOOR_STAGES, LOGWARD_STAGES } from './review-stage-names.ts';
import { SERVERS, type WebhookRun } from './suites/webhook.ts';
import type { StartTrial } from './suites/webhook-start.ts';

export interface TargetCheck {
  target: string;
  measured: string;
  /** undefined: this run did not measure it (quick mode, or the section failed). */
  met: boolean | undefined;
  note?: string;
}

const MiB = 2 ** 20;
export const LOGWARD_WEBHOOK = SERVERS.logward;

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

  // Logward's codec against the tool users would run instead, at its usual level.
  const compressionCheck = (codec: 'gzip' | 'zstd', peerTool: string, atLeast: number) => {
    const ours = results.compression?.runs.find((r) => r.tool.startsWith(`Logward ${codec}`));
    const peer = results.compression?.runs.find((r) => r.tool === peerTool);
    const ratio = ours && peer ? ours.cpuThroughputMBs / peer.cpuThroughputMBs : undefined;
    checks.push({
      target: `${codec} throughput: at least ${atLeast}x ${peerTool}`,
      measured:
        ours && peer
          ? `${formatNumber(ratio, 2)}x per CPU second (${formatNumber(ours.cpuThroughputMBs, 1)} vs ${formatNumber(peer.cpuThroughputMBs, 1)} MB/s); ${formatNumber(ours.throughputMBs / peer.throughputMBs, 2)}x wall clock`
          : 'not measured',
      met: ratio !== undefined ? ratio >= atLeast : undefined,
      note: 'judged per CPU second, which other work on the machine does not distort',
    });
  };
  compressionCheck('gzip', 'gzip -6', 0.95);
  compressionCheck('zstd', 'zstd -3', 0.8);

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

  checks.push(...webhookChecks(results));
  return checks.map((check) => (quickNote && !check.note ? { ...check, note: quickNote } : check));
}

/** The median of `values` (the lower middle for an even count); undefined when there are none. */
export function median(values: readonly number[]): number | undefined {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** Reviews one core answers per second, from the server CPU each review took. */
export function perCore(run: WebhookRun): number {
  return 1e6 / run.serverCpuPerReviewUs;
}

function webhookChecks(results: Results): TargetCheck[] {
  const w = results.webhook;
  const start = w?.start;
  const ready = (trials: readonly StartTrial[] | undefined, limitMs: number, target: string, how: string) => {
    const times = (trials ?? []).map((t) => t.readyMs);
    const mid = median(times);
    return {
      target,
      measured:
        mid === undefined
          ? 'not measured'
          : `median ${formatMs(mid)}, worst ${formatMs(Math.max(...times))} over ${times.length} starts${how}`,
      met: mid === undefined ? undefined : mid < limitMs,
      note: 'ready: /readyz answers 200 and a review is answered; judged on the median, the machine being shared',
    };
  };
  const checks: TargetCheck[] = [
    ready(start?.withoutCredentials, 1000, 'Webhook ready without cluster credentials: under 1 s', ''),
    ready(
      start?.withCredentials,
      2000,
      'Webhook ready with cluster credentials: under 2 s',
      start?.cluster ? `, against a real ${start.cluster.split(' (')[0]} (the first creates the CA)` : '',
    ),
  ];

  const ours = (rate: number) => w?.runs.find((r) => r.server === SERVERS.logward && r.offered === rate);
  const floor = (rate: number) => w?.runs.find((r) => r.server === SERVERS.nodeFloor && r.offered === rate);
  const peaks = [
    ...(start?.afterReviews
      ? [{ what: 'with credentials after 1,000 reviews/s', bytes: start.afterReviews.rssPeakBytes }]
      : []),
    ...[...(start?.withoutCredentials ?? []), ...(start?.withCredentials ?? [])].map((t) => ({
      what: 'once ready',
      bytes: t.rssBytes,
    })),
    ...(w?.runs ?? [])
      .filter((r) => r.server === SERVERS.logward)
      .map((r) => ({ what: `at ${formatNumber(r.offered)} reviews/s offered`, bytes: r.rssPeakBytes })),
  ];
  const peak = peaks.sort((a, b) => b.bytes - a.bytes)[0];
  checks.push({
    target: 'Webhook RSS: under 128 MiB',
    measured: peak
      ? `peak ${formatBytes(peak.bytes)} (${peak.what})${start?.afterReviews ? `; with credentials after 1,000 reviews/s ${formatBytes(start.afterReviews.rssPeakBytes)}` : ''}`
      : 'not measured',
    met: peak ? peak.bytes < 128 * MiB : undefined,
  });

  const at1000 = ours(1000);
  const floor1000 = floor(1000);
  const p99Ratio =
    at1000 && floor1000 && at1000.latencyMs.p99 !== null && floor1000.latencyMs.p99
      ? at1000.latencyMs.p99 / floor1000.latencyMs.p99
      : undefined;
  const rounds = at1000?.roundsP99Ms && at1000.roundsP99Ms.length > 1 ? at1000.roundsP99Ms.length : 0;
  checks.push({
    target: 'Webhook p99 at 1,000 reviews/s: at most 1.5x the bare Node HTTPS floor',
    measured:
      at1000 && floor1000
        ? `${formatNumber(p99Ratio, 2)}x (p99 ${formatMs(at1000.latencyMs.p99)} vs ${formatMs(floor1000.latencyMs.p99)}${rounds ? `, each the median of ${rounds} rounds` : ''}; achieved ${formatNumber(at1000.achieved)}/s)`
        : 'not measured',
    met: p99Ratio !== undefined ? p99Ratio <= 1.5 && at1000!.achieved >= 990 : undefined,
    note:
      at1000 && floor1000
        ? `the tail follows how busy the core is: ${formatNumber(at1000.serverCpuPercent)}% against the floor's ${formatNumber(floor1000.serverCpuPercent)}% at this rate, so a stall of the shared machine takes ${formatNumber(drainFactor(at1000) / drainFactor(floor1000), 1)}x as long to drain; it shrinks with the CPU per review (next row)`
        : undefined,
  });

  const top = Math.max(...(w?.runs ?? []).map((r) => r.offered), 0);
  const saturated = ours(top);
  const floorSaturated = floor(top);
  const throughput = saturated && floorSaturated ? perCore(saturated) / perCore(floorSaturated) : undefined;
  // The floor answering with Logward's own review: how much of the gap the review itself is.
  const reviewSaturated = w?.runs.find((r) => r.server === SERVERS.reviewFloor && r.offered === top);
  const reviewAlone =
    reviewSaturated && floorSaturated
      ? `; Logward's review alone on the bare server ${formatNumber(perCore(reviewSaturated) / perCore(floorSaturated), 2)}x`
      : '';
  // The same webhook sent pods of which no two are alike: nothing it remembers applies.
  const distinctSaturated = w?.runs.find((r) => r.server === SERVERS.distinct && r.offered === top);
  const distinct =
    distinctSaturated && floorSaturated
      ? `; every pod a different one ${formatNumber(perCore(distinctSaturated) / perCore(floorSaturated), 2)}x`
      : '';
  const bound = floorSaturated ? throughputBound(floorSaturated, w?.runs, top, w?.stages) : '';
  checks.push({
    target: 'Webhook saturated throughput: at least 0.8x the bare Node HTTPS floor',
    measured:
      saturated && floorSaturated
        ? `${formatNumber(throughput, 2)}x per core (${formatNumber(perCore(saturated))} vs ${formatNumber(perCore(floorSaturated))} reviews per CPU second at ${formatNumber(top)}/s offered; achieved ${formatNumber(saturated.achieved)} vs ${formatNumber(floorSaturated.achieved)}/s)${distinct}${reviewAlone}`
        : 'not measured',
    met: throughput !== undefined ? throughput >= 0.8 : undefined,
    note: [
      "judged per CPU second of the server, which other work on the machine and the load generator's own limit do not distort, on a pod template's replicas each with its own uid, as the API server sends a scale-up (what saturates a webhook: a rollout's or an autoscaler's burst of pod creations)",
      ...(bound ? [`for pods of which no two are alike, ${bound}`] : []),
    ]
      .filter(Boolean)
      .join('; '),
  });
  return checks;
}

/** How long a backlog takes to drain on a core this busy, relative to an idle one: 1 / (1 - load). */
function drainFactor(run: WebhookRun): number {
  return 1 / Math.max(0.01, 1 - run.serverCpuPercent / 100);
}

/**
 * Why 0.8x the floor is out of reach when it is: the target leaves floor/0.8 - floor µs per
 * review for everything above the floor, and the framework on the card plus Logward's own
 * stages timed alone (where each costs least: bench/review-stages.ts) already take more. In
 * the server the same stages cost more (the review floor's distance from the floor says how
 * much), so the bound is generous to the target.
 */
export function throughputBound(
  floor: WebhookRun,
  runs: readonly WebhookRun[] | undefined,
  rate: number,
  stages: Record<string, number> | undefined,
): string {
  const allowance = floor.serverCpuPerReviewUs / 0.8 - floor.serverCpuPerReviewUs;
  const fastify = runs?.find((r) => r.server === SERVERS.fastifyFloor && r.offered === rate);
  const framework = fastify
    ? Math.max(0, fastify.serverCpuPerReviewUs - floor.serverCpuPerReviewUs)
    : undefined;
  const stage = (name: string) => stages?.[name];
  const own = Object.values(LOGWARD_STAGES).map(stage);
  const empty = stage(FLOOR_STAGES.emptyAnswer);
  if (framework === undefined || empty === undefined || own.some((us) => us === undefined)) return '';
  // The floor writes an answer too: only what Logward's larger one costs beyond it is Logward's.
  const review = (own as number[]).reduce((sum, us) => sum + us, 0) - empty;
  const total = framework + review;
  const us = (value: number) => `${formatNumber(value)} µs`;
  const parts = `fastify ${us(framework)} (measured above) and Logward's stages timed alone, where they cost least (deciding, diffing, encoding the patch, the larger answer, the log line) ${us(review)}`;
  return total > allowance
    ? `out of reach while a review does this work: the target leaves ${us(allowance)} per review above the floor, and ${parts} already take ${us(total)}`
    : `the target leaves ${us(allowance)} per review above the floor; ${parts} take ${us(total)}: the rest is what the same stages cost inside a busy server`;
}
