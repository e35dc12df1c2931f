import {
  Counter as PromCounter,
  Gauge as PromGauge,
  Histogram as PromHistogram,
  Registry as PromRegistry,
} from 'prom-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILD_TIMEOUT_MS, buildTool, runOk, runTool } from '../test/deploy/tools.ts';
import { counter, createRegistry, gauge, histogram, mergeRegistries } from './exposition.ts';
import { createMetrics, serveMetrics } from './metrics.ts';

// The sidecar writes the Prometheus text format itself (exposition.ts). What counts is what a
// Prometheus server reads from it: each exposition goes through Prometheus's own parser
// (kubecheck prom-text, github.com/prometheus/common/expfmt), and must read the same as
// prom-client's, which the sidecar used before, for the same updates.

interface Series {
  labels: Record<string, string>;
  value?: number;
  buckets?: Record<string, number>;
  sum?: number;
  count?: number;
}
interface Family {
  name: string;
  help: string;
  type: string;
  series: Series[];
}

let kubecheck: string;
beforeAll(async () => {
  kubecheck = await buildTool('kubecheck');
}, BUILD_TIMEOUT_MS);

async function asPrometheusReadsIt(text: string): Promise<Family[]> {
  const families = JSON.parse(await runOk(kubecheck, ['prom-text'], text)) as Family[];
  for (const family of families)
    family.series.sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)));
  return families;
}

type Update = (m: {
  count(labels: { reason: string }, by: number): void;
  set(value: number): void;
  observe(value: number): void;
}) => void;

/** The same families and updates through exposition.ts and through prom-client. */
async function bothExpositions(update: Update): Promise<[string, string]> {
  const ours = createRegistry();
  const oursCounter = counter(ours, {
    name: 'x_total',
    help: 'a "counter"\\ with\nlines',
    labelNames: ['reason'],
  });
  const oursGauge = gauge(ours, { name: 'x_bytes', help: 'a gauge' });
  const oursHistogram = histogram(ours, {
    name: 'x_seconds',
    help: 'a histogram',
    buckets: [0.001, 0.5, 1, 30],
  });
  update({
    count: (labels, by) => oursCounter.inc(labels, by),
    set: (value) => oursGauge.set(value),
    observe: (value) => oursHistogram.observe(value),
  });

  const theirs = new PromRegistry();
  const registers = [theirs];
  const theirCounter = new PromCounter({
    name: 'x_total',
    help: 'a "counter"\\ with\nlines',
    labelNames: ['reason'],
    registers,
  });
  const theirGauge = new PromGauge({ name: 'x_bytes', help: 'a gauge', registers });
  const theirHistogram = new PromHistogram({
    name: 'x_seconds',
    help: 'a histogram',
    buckets: [0.001, 0.5, 1, 30],
    registers,
  });
  update({
    count: (labels, by) => theirCounter.inc(labels, by),
    set: (value) => theirGauge.set(value),
    observe: (value) => theirHistogram.observe(value),
  });
  return [ours.render(), await theirs.metrics()];
}

describe('the text exposition', () => {
  it.each<[string, Update]>([
    ['nothing recorded', () => {}],
    [
      'counters by label, a gauge and histogram observations on and between bounds',
      (m) => {
        m.count({ reason: 'over_max_files' }, 1);
        m.count({ reason: 'over_max_files' }, 2.5);
        m.count({ reason: 'leftover' }, 0);
        m.set(-12.75);
        m.set(1_073_741_824);
        for (const value of [0, 0.001, 0.0011, 0.5, 7, 30, 31, 1e9]) m.observe(value);
      },
    ],
    [
      'label values that must be escaped',
      (m) => {
        m.count({ reason: 'quote " backslash \\ newline \n end' }, 3);
        m.count({ reason: 'ünïcödé ✓' }, 1);
      },
    ],
  ])('reads as prom-client wrote it: %s', async (_, update) => {
    const [ours, theirs] = await bothExpositions(update);
    expect(await asPrometheusReadsIt(ours)).toEqual(await asPrometheusReadsIt(theirs));
  });

  it('is read by Prometheus with the values recorded', async () => {
    const registry = createRegistry();
    const total = counter(registry, { name: 'y_total', help: 'h', labelNames: ['action', 'code'] });
    total.inc({ action: 'cap', code: 'EPERM' });
    total.inc({ action: 'cap', code: 'EPERM' }, 2);
    const spread = histogram(registry, { name: 'y_seconds', help: 'h', buckets: [1, 0.1] });
    spread.observe(0.05);
    spread.observe(0.5);
    spread.observe(5);
    expect(await asPrometheusReadsIt(registry.render())).toEqual([
      {
        name: 'y_seconds',
        help: 'h',
        type: 'HISTOGRAM',
        series: [{ labels: {}, buckets: { '0.1': 1, '1': 2, '+Inf': 3 }, sum: 5.55, count: 3 }],
      },
      {
        name: 'y_total',
        help: 'h',
        type: 'COUNTER',
        series: [{ labels: { action: 'cap', code: 'EPERM' }, value: 3 }],
      },
    ]);
  });

  it('merges the registries of several directories into one family each, told apart by their dir label', async () => {
    const registries = ['/var/log/nginx', '/app/"gc"'].map((dir, i) => {
      const registry = createRegistry();
      registry.setDefaultLabels({ dir });
      const used = gauge(registry, { name: 'w_bytes', help: 'h' });
      used.set(100 * (i + 1));
      const total = counter(registry, { name: 'w_total', help: 'h', labelNames: ['reason'] });
      total.inc({ reason: 'over_max_age' }, i + 1);
      const spread = histogram(registry, { name: 'w_seconds', help: 'h', buckets: [1] });
      spread.observe(0.5 * (i + 1));
      return registry;
    });
    const merged = mergeRegistries(registries);
    expect(merged.families().map((f) => f.name)).toEqual(['w_bytes', 'w_total', 'w_seconds']);
    expect(await asPrometheusReadsIt(merged.render())).toEqual([
      {
        name: 'w_bytes',
        help: 'h',
        type: 'GAUGE',
        series: [
          { labels: { dir: '/app/"gc"' }, value: 200 },
          { labels: { dir: '/var/log/nginx' }, value: 100 },
        ],
      },
      {
        name: 'w_seconds',
        help: 'h',
        type: 'HISTOGRAM',
        series: [
          { labels: { dir: '/app/"gc"' }, buckets: { '1': 1, '+Inf': 1 }, sum: 1, count: 1 },
          { labels: { dir: '/var/log/nginx' }, buckets: { '1': 1, '+Inf': 1 }, sum: 0.5, count: 1 },
        ],
      },
      {
        name: 'w_total',
        help: 'h',
        type: 'COUNTER',
        series: [
          { labels: { dir: '/app/"gc"', reason: 'over_max_age' }, value: 2 },
          { labels: { dir: '/var/log/nginx', reason: 'over_max_age' }, value: 1 },
        ],
      },
    ]);
  });

  it('refuses what a Prometheus client refuses: a counter going down, an unknown label, a name twice', () => {
    const registry = createRegistry();
    const total = counter(registry, { name: 'z_total', help: 'h', labelNames: ['reason'] });
    expect(() => total.inc({ reason: 'a' }, -1)).toThrow('z_total: a counter only goes up, not by -1');
    expect(() => total.inc({ reasons: 'a' } as never)).toThrow('unknown label "reasons"; labels: reason');
    expect(() => gauge(registry, { name: 'z_total', help: 'h' })).toThrow('metric z_total registered twice');
  });

  it('is what the sidecar serves on /metrics, every family the sidecar exports included', async () => {
    const metrics = createMetrics();
    metrics.usage.set(4096);
    metrics.failures.inc({ action: 'compress', code: 'ENOSPC' });
    metrics.sweepDuration.observe(0.02);
    const server = await serveMetrics(metrics, 0, () => true);
    try {
      const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const families = await asPrometheusReadsIt(await response.text());
      expect(families.map((f) => f.name)).toEqual(
        metrics.registry
          .families()
          .map((f) => f.name)
          .sort(),
      );
      const find = (name: string) => families.find((f) => f.name === name)!;
      expect(find('logward_sidecar_usage_bytes').series).toEqual([{ labels: {}, value: 4096 }]);
      expect(find('logward_sidecar_action_failures_total').series).toEqual([
        { labels: { action: 'compress', code: 'ENOSPC' }, value: 1 },
      ]);
      // Every deletion reason exists from the start, at zero, for rate().
      expect(find('logward_sidecar_deleted_files_total').series.length).toBeGreaterThan(3);
      expect(find('logward_sidecar_sweep_duration_seconds').series[0]).toMatchObject({ count: 1, sum: 0.02 });
    } finally {
      await server.close();
    }
  });

  it('does not pass for what Prometheus cannot read', async () => {
    const result = await runTool(kubecheck, ['prom-text'], 'x_total{reason="a} 1\n');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('not a valid text exposition');
  });
});
