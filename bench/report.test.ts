import { describe, expect, it } from 'vitest';
import { lostLinesSentence, renderReport, usageSentence, webhookBreakdown } from './report.ts';
import type { Results } from './results.ts';
import type { UsageRun } from './suites/bounded-usage.ts';
import type { LostLinesRun } from './suites/lost-lines.ts';
import { medianRound, type WebhookRun } from './suites/webhook.ts';
import { checkTargets, throughputBound } from './targets.ts';

const lost = (tool: LostLinesRun['tool'], lostLines: number, caps: number): LostLinesRun => ({
  tool,
  writer: 'append',
  caps,
  seconds: 10,
  written: 200_000,
  found: 200_000 - lostLines,
  lost: lostLines,
  duplicated: 0,
  malformed: 0,
});

const usage = (tool: UsageRun['tool'], peakRatio: number, secondsOverLimit: number): UsageRun => ({
  tool,
  rateMBs: 50,
  seconds: 70,
  writtenBytes: 3.5e9,
  limitBytes: 2 ** 30,
  peakBytes: peakRatio * 2 ** 30,
  peakRatio,
  secondsOverLimit,
  historyBytes: 100 * 2 ** 20,
  historyFiles: 10,
  endBytes: 0,
  cpuSeconds: 1,
  cpuPercent: 1,
  rssPeakBytes: 0,
  rssMeanBytes: 0,
  events: {},
});

function results(overrides: Partial<Results>): Results {
  return {
    mode: 'full',
    date: '2026-01-01T00:00:00.000Z',
    durationSeconds: 600,
    machine: { cpu: 'test cpu', cores: 2, memoryGiB: 8, kernel: '6.1', os: 'Debian' },
    versions: { Node: 'v24.0.0' },
    pinning: 'not pinned',
    contention: {},
    ...overrides,
  };
}

describe('sentences', () => {
  it('says per rotation what logrotate lost and that Logward lost none', () => {
    expect(
      lostLinesSentence('append', lost('logward', 0, 1000), lost('logrotate', 37_000, 1000), 20_000),
    ).toBe(
      'With an O_APPEND writer at 20,000 lines/s, logrotate lost 37.0 lines per rotation (37,000 in 1,000); Logward lost none and duplicated none.',
    );
  });

  it('does not claim zero when Logward lost lines', () => {
    expect(
      lostLinesSentence('offset', lost('logward', 3, 100), lost('logrotate', 50, 100), 20_000),
    ).toContain('Logward lost 3 and duplicated 0 over 100 caps');
  });

  it('calls time over the limit an eviction', () => {
    expect(usageSentence(usage('logward', 0.5, 0), usage('logrotate', 2.9, 41.5), 2 ** 30)).toBe(
      'At 50 MB/s into 1.00 GiB, logrotate peaked at 290% of the limit and spent 41.5 s above it (an eviction) and kept 100 MiB of history; Logward peaked at 50% of the limit and kept 100 MiB.',
    );
  });
});

describe('targets', () => {
  it('marks a missed target as missed and an unmeasured one as not measured', () => {
    const run = results({
      usage: {
        limitBytes: 2 ** 30,
        maxFileBytes: 2 ** 30 / 10,
        minuteMs: 60_000,
        scale: 1,
        runs: [usage('logward', 0.93, 0), usage('logrotate', 2.9, 41)],
      },
    });
    const checks = checkTargets(run);
    expect(checks.find((c) => c.target.startsWith('Peak usage'))).toMatchObject({ met: false });
    expect(checks.find((c) => c.target.startsWith('Lines lost'))).toMatchObject({ met: undefined });
  });

  it('counts a lost line as a missed target', () => {
    const run = results({
      lostLines: {
        linesPerSecond: 20_000,
        width: 64,
        maxFileBytes: 65_536,
        runs: [lost('logward', 1, 1000), lost('logrotate', 500, 1000)],
      },
    });
    expect(checkTargets(run)[0]).toMatchObject({
      met: false,
      measured: '1 lost, 0 duplicated over 1000 caps',
    });
  });
});

describe('renderReport', () => {
  it('shows both sides with the ratio to the peer and marks the missed target', () => {
    const run = results({
      lostLines: {
        linesPerSecond: 20_000,
        width: 64,
        maxFileBytes: 65_536,
        runs: [lost('logward', 0, 1000), lost('logrotate', 37_000, 1000)],
      },
      usage: {
        limitBytes: 2 ** 30,
        maxFileBytes: 2 ** 30 / 10,
        minuteMs: 60_000,
        scale: 1,
        runs: [usage('logward', 0.95, 0), usage('logrotate', 2.9, 41)],
      },
    });
    const markdown = renderReport(run, checkTargets(run));
    expect(markdown).toContain('| O_APPEND | Logward | 1,000 | 200,000 | 0 | 0.0 | 0 | 0 |');
    expect(markdown).toContain('| 0.00x |');
    expect(markdown).toContain(
      '| Peak usage at 50 MB/s into 1 GiB: at most 0.9 of the limit | 95% of 1.00 GiB at 50 MB/s | **missed** |',
    );
    expect(markdown).toContain('| 50 MB/s | Logward | 3.26 GiB | 973 MiB | 95% |');
    expect(markdown).not.toContain('## 6. Webhook');
  });

  it('renders the webhook table against the floor, and says when the floor itself fell short', () => {
    const latency = (p99: number) => ({
      count: 1,
      min: 1,
      mean: 1,
      p50: 1,
      p90: 1,
      p99,
      p999: p99,
      max: p99,
    });
    const hook = (server: string, offered: number, achieved: number, p99: number, cpu: number) => ({
      server,
      offered,
      sent: offered,
      completed: achieved,
      completedInWarmup: 0,
      errors: 0,
      unanswered: 0,
      achieved,
      latencyMs: latency(p99),
      serverCpuPercent: 50,
      serverCpuPerReviewUs: cpu,
      generatorCpuPercent: 40,
      rssBytes: 2 ** 27,
      rssPeakBytes: 2 ** 27,
    });
    const trial = (readyMs: number) => ({
      readyMs,
      readyzMs: readyMs,
      firstReviewMs: readyMs - 5,
      rssBytes: 80 * 2 ** 20,
    });
    const run = results({
      webhook: {
        patchBytes: { 'logward webhook': 1800 },
        primeMs: 5000,
        runs: [
          hook('node:https floor (empty patch)', 1000, 1000, 2, 200),
          hook('logward webhook', 1000, 999, 6, 800),
          hook('node:https floor (empty patch)', 5000, 2200, 900, 150),
          hook("node:https + Logward's review", 5000, 1900, 1000, 160),
          hook('logward webhook', 5000, 1400, 3000, 180),
        ],
        start: {
          withoutCredentials: [trial(600), trial(500), trial(1400)],
          withCredentials: [trial(1900), trial(700), trial(800)],
          afterReviews: {
            reviews: 1200,
            errors: 0,
            ownerLookupFailures: 0,
            rssBytes: 90 * 2 ** 20,
            rssPeakBytes: 95 * 2 ** 20,
          },
          cluster: 'kube-apiserver v1.37.2 (test/e2e/controlplane.ts), started in 6.0 s',
        },
      },
    });
    const markdown = renderReport(run, checkTargets(run));
    expect(markdown).toContain(
      '| logward webhook | 1,000 | 999 | 1.00 ms | 6.00 ms | 6.00 ms | 0 | 800 | 50% | 128 MiB | 40% | 3.00x / 0.25x |',
    );
    expect(markdown).toContain('The node:https floor itself reached only 2,200/s at 5,000/s offered');
    expect(markdown).toContain(
      'The servers take turns at each rate, after each has answered 5 s of reviews at 1,000/s unmeasured',
    );
    expect(markdown).toContain(
      '| without cluster credentials (TLS from files) | 3 | 600 ms | 500 ms | 1400 ms |',
    );
    const target = (start: string) => checkTargets(run).find((c) => c.target.startsWith(start));
    expect(target('Webhook p99')).toMatchObject({ met: false, measured: expect.stringMatching(/^3\.00x/) });
    expect(target('Webhook saturated throughput')).toMatchObject({
      met: true,
      measured: expect.stringMatching(
        /^0\.83x per core .*; Logward's review alone on the bare server 0\.94x$/,
      ),
    });
    expect(markdown).toContain(
      "Where a saturated review's CPU goes (5,000/s offered): 150 µs is the floor (TLS, HTTP, reading and parsing the review, writing an answer); Logward's review on that same server, made anew for each pod (parsing, deciding, diffing, encoding and sending a patch), adds 10 µs; the webhook answering a template's replicas adds 30 µs (fastify, hooks, metrics, log line, the remembered review and answer).",
    );
    expect(target('Webhook ready without')).toMatchObject({
      met: true,
      measured: 'median 600 ms, worst 1400 ms over 3 starts',
    });
    expect(target('Webhook ready with')).toMatchObject({ met: true });
    expect(target('Webhook RSS')).toMatchObject({
      met: false,
      measured: expect.stringMatching(/^peak 128 MiB \(at 1,000 reviews\/s offered\)/),
    });
  });
});

describe('webhookBreakdown', () => {
  const cpu = (figures: Record<string, number>) => (server: string) => figures[server];

  it('splits the framework, the log line and the rest apart when the full run measured them', () => {
    expect(
      webhookBreakdown(
        cpu({
          'node:https floor (empty patch)': 250,
          "node:https + Logward's review": 330,
          'fastify floor (empty patch)': 260,
          'logward webhook --log-level=warn': 285,
          'logward webhook': 300,
          'logward webhook, every pod a different one': 420,
        }),
        'at 5000/s offered',
      ),
    ).toBe(
      "at 5000/s offered: 250 µs is the floor (TLS, HTTP, reading and parsing the review, writing an answer); Logward's review on that same server, made anew for each pod (parsing, deciding, diffing, encoding and sending a patch), adds 80 µs; the webhook answering a template's replicas adds 50 µs: fastify 10 µs, its log line per injected pod 15 µs (default level against --log-level=warn), and its hooks, metrics and the replica's remembered review and answer 25 µs; answering pods of which no two are alike, 170 µs (all of the above, the review made anew each time). Differences of runs on a shared machine: indicative to some tens of µs.",
    );
  });

  it('gives the webhook its one figure when the quick run did not split it', () => {
    expect(
      webhookBreakdown(
        cpu({
          'node:https floor (empty patch)': 250,
          "node:https + Logward's review": 330,
          'logward webhook': 300,
        }),
        'x',
      ),
    ).toContain("the webhook answering a template's replicas adds 50 µs (fastify, hooks, metrics, log line");
  });

  it('says nothing without the review floor to split by', () => {
    expect(
      webhookBreakdown(cpu({ 'node:https floor (empty patch)': 250, 'logward webhook': 430 }), 'x'),
    ).toBeUndefined();
  });
});

describe('webhook rounds and bound', () => {
  const run = (
    server: string,
    p99: number | null,
    cpu: number,
    reviews: number,
    peak: number,
  ): WebhookRun => ({
    server,
    offered: 1000,
    sent: reviews,
    completed: reviews,
    completedInWarmup: 0,
    errors: 0,
    unanswered: 0,
    achieved: 1000,
    latencyMs: { count: reviews, min: 1, mean: 2, p50: 2, p90: 3, p99: p99 as number, p999: 0, max: 0 },
    serverCpuPercent: 40,
    serverCpuPerReviewUs: cpu,
    generatorCpuPercent: 40,
    rssBytes: peak,
    rssPeakBytes: peak,
  });

  it("takes a server's median round by p99, its CPU over all rounds and its highest peak", () => {
    const merged = medianRound([
      run('logward webhook', 270, 600, 1000, 100),
      run('logward webhook', 12, 400, 3000, 300),
      run('logward webhook', 30, 500, 1000, 200),
    ]);
    expect(merged.latencyMs.p99).toBe(30);
    expect(merged.serverCpuPerReviewUs).toBe((600 * 1000 + 400 * 3000 + 500 * 1000) / 5000);
    expect(merged.rssPeakBytes).toBe(300);
    expect(merged.roundsP99Ms).toEqual([270, 12, 30]);
  });

  it('counts a round without a p99 (nothing answered) as the worst, never as the median', () => {
    const merged = medianRound([run('w', null, 1, 1, 1), run('w', 5, 1, 1, 1), run('w', 9, 1, 1, 1)]);
    expect(merged.latencyMs.p99).toBe(9);
  });

  const at5000 = (server: string, cpu: number) => ({ ...run(server, 100, cpu, 1000, 1), offered: 5000 });
  // Logward's stages 4 + 2 + 9 + 5 + 5 = 25 µs, less the floor's own answer 1 µs: 24 µs.
  const stages = {
    'parse the review (JSON)': 20,
    "write an empty answer (the floor's)": 1,
    'decide and mutate': 4,
    'diff into a patch': 2,
    'encode the patch (JSON, base64)': 9,
    'write the answer (JSON)': 5,
    'log line (pino)': 5,
  };

  it('says the target is out of reach when fastify and the stages timed alone exceed its allowance', () => {
    // 0.8x of a 160 µs floor allows 40 µs; fastify 30 + 24 = 54.
    const floor = at5000('node:https floor (empty patch)', 160);
    const note = throughputBound(floor, [floor, at5000('fastify floor (empty patch)', 190)], 5000, stages);
    expect(note).toMatch(
      /^out of reach .*leaves 40 µs per review above the floor, and fastify 30 µs .* 24 µs already take 54 µs$/,
    );
  });

  it('says the rest is the cost inside a server when the stages alone fit the allowance', () => {
    const floor = at5000('node:https floor (empty patch)', 160);
    const note = throughputBound(floor, [floor, at5000('fastify floor (empty patch)', 170)], 5000, stages);
    expect(note).toMatch(/take 34 µs: the rest is what the same stages cost inside a busy server$/);
  });

  it('says nothing without the fastify floor or the stages to reason from', () => {
    const floor = at5000('node:https floor (empty patch)', 160);
    expect(throughputBound(floor, [floor], 5000, stages)).toBe('');
    expect(throughputBound(floor, [floor, at5000('fastify floor (empty patch)', 190)], 5000, undefined)).toBe(
      '',
    );
  });
});
