// `npm run bench`: Logward next to what users would run instead, measured in one run on one
// machine. Installs the peers when missing, runs each comparison, writes the report.
//
//   npm run bench                  full run (under 15 min), writes docs/benchmarks.{md,json}
//   npm run bench -- --quick       about a minute, for CI; writes bench/out/ unless --write-docs
//   npm run bench -- --only=lost-lines,webhook   a subset (sections: see SECTIONS)
//   npm run bench -- --render docs/benchmarks.json   rewrite the Markdown next to it, no run
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { VERSION } from '../base/version.ts';
import { configFor } from './config.ts';
import { describeMachine, measureContention } from './machine.ts';
import { ensurePeers, peerVersions } from './peers.ts';
import { pinningAvailable } from './processes.ts';
import { renderReport, webhookBreakdown } from './report.ts';
import type { Results } from './results.ts';
import { boundedUsage } from './suites/bounded-usage.ts';
import { compression } from './suites/compression.ts';
import { footprint } from './suites/footprint.ts';
import { lostLines } from './suites/lost-lines.ts';
import { reaction } from './suites/reaction.ts';
import { webhook } from './suites/webhook.ts';
import { webhookStart } from './suites/webhook-start.ts';
import { checkTargets } from './targets.ts';

const SECTIONS = ['lost-lines', 'usage', 'reaction', 'compression', 'footprint', 'webhook'] as const;
type Section = (typeof SECTIONS)[number];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'write-docs': { type: 'boolean', default: false },
    out: { type: 'string' },
    only: { type: 'string' },
    render: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
const log = (line: string) => process.stdout.write(`${line}\n`);

if (values.help) {
  log(`Usage: npm run bench [-- options]
  (none)                  full run (under 15 min), writes docs/benchmarks.{md,json}
  --quick                 about a minute, scaled down; writes bench/out/ unless --write-docs
  --only=SECTION,...      a subset; sections: ${SECTIONS.join(', ')}
  --out=DIR               where to write benchmarks.{md,json}
  --render FILE.json      rewrite the Markdown next to a saved run, no run`);
  process.exit(0);
}

if (values.render) {
  // The report's wording can change without rerunning fifteen minutes of measurements.
  const saved = JSON.parse(readFileSync(values.render, 'utf8')) as Results;
  const markdown = values.render.replace(/\.json$/, '.md');
  writeFileSync(markdown, renderReport(saved, checkTargets(saved)));
  log(`wrote ${markdown}`);
  process.exit(0);
}
const quick = values.quick!;
const only = values.only ? (values.only.split(',') as Section[]) : [...SECTIONS];
for (const name of only) {
  if (!SECTIONS.includes(name))
    throw new Error(`--only: unknown section "${name}"; sections: ${SECTIONS.join(', ')}`);
}
const repo = new URL('..', import.meta.url).pathname;
const outDir = values.out ?? (quick && !values['write-docs'] ? join(repo, 'bench/out') : join(repo, 'docs'));

ensurePeers(log);
const config = configFor(quick);
const root = mkdtempSync(join(tmpdir(), 'logward-bench-'));
process.on('SIGINT', () => {
  rmSync(root, { recursive: true, force: true });
  process.exit(130);
});
const filesystem =
  spawnSync('findmnt', ['-n', '-o', 'FSTYPE', '--target', root], { encoding: 'utf8' }).stdout?.trim() ||
  'unknown';
const fastify = JSON.parse(readFileSync(join(repo, 'node_modules/fastify/package.json'), 'utf8')) as {
  version: string;
};

// Other work may be in progress in the same tree: name the commit and any uncommitted product files.
// Not trimmed at the start: porcelain lines begin with a status column that may be a space.
const git = (args: string[]) =>
  spawnSync('git', args, { cwd: repo, encoding: 'utf8' }).stdout?.trimEnd() ?? '';
const dirty = git([
  'status',
  '--porcelain',
  '--',
  'base',
  'cli',
  'contract',
  'inject',
  'kube',
  'sidecar',
  'webhook',
])
  .split('\n')
  .filter((line) => line !== '')
  .map((line) => line.slice(3));
const commit = `${git(['rev-parse', '--short', 'HEAD']) || 'unknown'}${dirty.length > 0 ? ` plus uncommitted changes to ${dirty.join(', ')}` : ''}`;

const started = performance.now();
const results: Results = {
  mode: quick ? 'quick' : 'full',
  date: new Date().toISOString(),
  durationSeconds: 0,
  machine: describeMachine(),
  versions: {
    Node: process.version,
    Logward: `${VERSION} (${commit})`,
    fastify: fastify.version,
    ...peerVersions(),
    'Test directories': `${root.replace(/logward-bench-.*/, '')} (${filesystem})`,
  },
  pinning: pinningAvailable()
    ? 'webhook server on CPU 0 and load generator on CPU 1, compression on CPU 0, with taskset'
    : 'not pinned (no taskset)',
  contention: {},
};
const failures: string[] = [];

async function run(name: Section, body: () => Promise<void>): Promise<void> {
  if (!only.includes(name)) return;
  const contention = measureContention();
  results.contention[name] = contention;
  log(
    `${name} (load ${contention.loadAverage.toFixed(2)}, CPU share ${(contention.cpuShare * 100).toFixed(0)}%)`,
  );
  const sectionStarted = performance.now();
  try {
    await body();
  } catch (error) {
    failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    log(`  failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  log(`  ${((performance.now() - sectionStarted) / 1000).toFixed(1)} s`);
}

try {
  await run('lost-lines', async () => {
    results.lostLines = await lostLines(config.lostLines, root, log);
  });
  await run('usage', async () => {
    results.usage = await boundedUsage(config.usage, root, log);
  });
  await run('reaction', async () => {
    results.reaction = await reaction(config.reaction, root);
    const r = results.reaction;
    log(
      `  Logward median ${r.logward.medianMs.toFixed(0)} ms, worst ${r.logward.maxMs.toFixed(0)} ms; one logrotate run ${r.logrotate.runMs.toFixed(0)} ms`,
    );
  });
  await run('compression', async () => {
    results.compression = await compression(config.compression, root, log);
  });
  await run('footprint', async () => {
    const measured = await footprint(config.footprint, config.usage.minuteMs, root, log);
    const rate = config.footprint.writerMBs;
    const loaded = (results.usage?.runs ?? [])
      .filter((r) => r.rateMBs === rate)
      .map((r) => ({
        tool: r.tool,
        seconds: r.seconds,
        cpuSeconds: r.cpuSeconds,
        cpuPercent: r.cpuPercent,
        rssBytes: r.rssMeanBytes,
        rssPeakBytes: r.rssPeakBytes,
      }));
    results.footprint = { ...measured, loaded, loadedRateMBs: loaded.length > 0 ? rate : undefined };
  });
  await run('webhook', async () => {
    results.webhook = await webhook(config.webhook, root, log);
    const runs = results.webhook.runs;
    const top = Math.max(...runs.map((r) => r.offered));
    const breakdown = webhookBreakdown(
      (server) => runs.find((r) => r.server === server && r.offered === top)?.serverCpuPerReviewUs,
      `at ${top}/s offered`,
    );
    if (breakdown) log(`  ${breakdown}`);
    results.webhook.start = await webhookStart(config.webhook, root, log);
  });
} finally {
  rmSync(root, { recursive: true, force: true });
}

results.durationSeconds = (performance.now() - started) / 1000;
const checks = checkTargets(results);
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, 'benchmarks.json'),
  `${JSON.stringify({ ...results, targets: checks, failures }, null, 2)}\n`,
);
writeFileSync(join(outDir, 'benchmarks.md'), renderReport(results, checks));
log('');
for (const check of checks)
  log(
    `${check.met === undefined ? '-' : check.met ? 'met   ' : 'MISSED'} ${check.target}: ${check.measured}`,
  );
log(
  `\n${results.mode} run took ${(results.durationSeconds / 60).toFixed(1)} min; wrote ${join(outDir, 'benchmarks.md')} and benchmarks.json`,
);
if (failures.length > 0) {
  log(`sections that failed: ${failures.join('; ')}`);
  process.exitCode = 1;
}
