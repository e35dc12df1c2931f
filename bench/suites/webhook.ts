// 6. Webhook: reviews per second and latency at fixed offered rates over HTTPS keep-alive,
// with the realistic pod review (3 containers, env, probes, volumes), each sent with its own
// request.uid as the API server sends a pod template's replicas, and to the webhook also as
// pods of which no two are alike (nothing it remembers applies). `logward webhook` in the
// form the image runs (built JavaScript, its ENTRYPOINT's Node options), at its default log
// level (a JSON line per injected pod) and, in full runs, at warn; next to the floor, a bare
// node:https server answering an empty patch, and in full runs a fastify handler doing the same
// (what the framework costs), and the same floor answering with Logward's own review (parse,
// decision, patch; no framework, logs or metrics: what the review itself costs).
// Server and load generator are pinned to different cores when taskset exists.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { builtCli, imageNodeOptions } from '../built-cli.ts';
import type { BenchConfig } from '../config.ts';
import { formatMs as ms } from '../format.ts';
import type { Summary } from '../histogram.ts';
import { pinned, runCommand, sleep } from '../processes.ts';
import { cpuTimes, memory } from '../procfs.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const LOADGEN = new URL('../loadgen.ts', import.meta.url).pathname;
const NODE_FLOOR = new URL('../floor-node.ts', import.meta.url).pathname;
const FASTIFY_FLOOR = new URL('../floor-fastify.ts', import.meta.url).pathname;
const REVIEW_FLOOR = new URL('../floor-review.ts', import.meta.url).pathname;
const REVIEW_STAGES = new URL('../review-stages.ts', import.meta.url).pathname;
export const REVIEW = join(ROOT, 'webhook/fixtures/pod-review.json');

/** The servers compared, by the names the report and the targets use. */
export const SERVERS = {
  logward: 'logward webhook',
  quiet: 'logward webhook --log-level=warn',
  distinct: 'logward webhook, every pod a different one',
  nodeFloor: 'node:https floor (empty patch)',
  fastifyFloor: 'fastify floor (empty patch)',
  reviewFloor: "node:https + Logward's review",
} as const;
/** The rate of the unmeasured run that lets each server's JIT settle (config.primeMs). */
const PRIME_RATE = 1000;
const SERVER_CPU = 0;
const TLS_DIR = 'tls';
const LOADGEN_CPU = 1;

export interface WebhookRun {
  server: string;
  offered: number;
  sent: number;
  completed: number;
  errors: number;
  unanswered: number;
  achieved: number;
  latencyMs: Summary;
  /** Server CPU seconds per second of run, percent of one core. */
  serverCpuPercent: number;
  /** Server CPU per review answered (warm-up included on both sides), microseconds. */
  serverCpuPerReviewUs: number;
  /** The generator's own CPU, percent of one core. */
  generatorCpuPercent: number;
  completedInWarmup: number;
  rssBytes: number;
  rssPeakBytes: number;
  /**
   * The p99 of each round at this rate (the servers take turns within a round). The run's own
   * figures are those of its median round; its CPU per review is over all rounds.
   */
  roundsP99Ms?: (number | null)[];
}

interface Server {
  name: string;
  /** What the load generator varies between reviews (see Running); each review's uid by default. */
  vary?: Running['vary'];
  start(dir: string): Promise<{ child: ChildProcess; port: number; log: string }>;
}

/**
 * A self-signed serving pair under `root`. The servers get a directory of their own (`tls/`), as a
 * mounted Secret is: the webhook watches its certificate's directory for a rotation, and its
 * own log file written beside it would wake that watcher on every line.
 */
export async function makeCertificate(root: string): Promise<{ cert: string; key: string }> {
  const dir = join(root, TLS_DIR);
  mkdirSync(dir, { recursive: true });
  const cert = join(dir, 'serving.crt');
  const key = join(dir, 'serving.key');
  const result = await runCommand('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    '/CN=logward-bench',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ]);
  if (result.code !== 0) throw new Error(`openssl exited ${result.code}: ${result.stderr.trim()}`);
  return { cert, key };
}

/** Waits until `file` holds a line that `match` accepts. */
async function waitForLine<T>(
  file: string,
  child: ChildProcess,
  match: (line: string) => T | undefined,
): Promise<T> {
  const deadline = performance.now() + 20_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`server exited ${child.exitCode}: ${readFileSync(file, 'utf8')}`);
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const found = line ? match(line) : undefined;
      if (found !== undefined) return found;
    }
    await sleep(50);
  }
  throw new Error(`server did not start: ${readFileSync(file, 'utf8').slice(0, 2000)}`);
}

/** A port free right now on loopback: --log-level=warn hides the line that names the port. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  return typeof address === 'object' && address ? address.port : 0;
}

function logwardWebhook(name: string, cli: string, extra: string[], vary?: Running['vary']): Server {
  return {
    name,
    vary,
    async start(dir) {
      const out = join(dir, `${name.replace(/\W+/g, '-')}.log`);
      const port = await freePort();
      const fd = openSync(out, 'w');
      const [command, args] = pinned(SERVER_CPU, process.execPath, [
        ...imageNodeOptions('Dockerfile.webhook'),
        cli,
        'webhook',
        `--tls-cert=${join(dir, TLS_DIR, 'serving.crt')}`,
        `--tls-key=${join(dir, TLS_DIR, 'serving.key')}`,
        '--host=127.0.0.1',
        `--port=${port}`,
        '--metrics-port=0',
        ...extra,
      ]);
      // No cluster credentials: owner lookup is off, as in a pod whose RBAC denies it.
      const child = spawn(command, args, {
        env: { ...process.env, KUBECONFIG: '', HOME: dir },
        stdio: ['ignore', fd, fd],
      });
      closeSync(fd);
      return { child, port, log: out };
    },
  };
}

const floorServer = (name: string, script: string, extra: string[] = []): Server => ({
  name,
  async start(dir) {
    const out = join(dir, `${name.replace(/\W+/g, '-')}.log`);
    const fd = openSync(out, 'w');
    const [command, args] = pinned(SERVER_CPU, process.execPath, [
      script,
      '--cert',
      join(dir, TLS_DIR, 'serving.crt'),
      '--key',
      join(dir, TLS_DIR, 'serving.key'),
      ...extra,
    ]);
    const child = spawn(command, args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    try {
      const port = await waitForLine(out, child, (line) => (JSON.parse(line) as { port?: number }).port);
      return { child, port, log: out };
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
  },
});

/** Retries one review until the server answers (it is starting), for up to 20 s. */
async function firstReview(port: number, ca: string, child: ChildProcess, serverLog: string) {
  const deadline = performance.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`server exited ${child.exitCode}: ${readFileSync(serverLog, 'utf8')}`);
    try {
      return await reviewOnce(port, ca);
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

/** One review by hand: the server must answer allowed, and Logward with a patch. */
function reviewOnce(port: number, ca: string): Promise<{ allowed: boolean; patchBytes: number }> {
  const body = readFileSync(REVIEW);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/mutate',
        method: 'POST',
        ca: readFileSync(ca),
        agent: false,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const review = JSON.parse(Buffer.concat(chunks).toString()) as {
            response?: { allowed?: boolean; patch?: string };
          };
          resolve({
            allowed: review.response?.allowed === true,
            patchBytes: Buffer.from(review.response?.patch ?? '', 'base64').length,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A server as the load generator sees it: each review with its own uid (the replicas of one pod
 * template, as the API server sends a scale-up), or each a different pod as well.
 */
interface Running {
  name: string;
  child: ChildProcess;
  port: number;
  vary: 'uid' | 'pod';
}

/** One load generator run against one server, with the server's CPU and memory over it. */
async function measure(
  { name: server, child, port, vary }: Running,
  rate: number,
  cert: string,
  config: BenchConfig['webhook'],
): Promise<WebhookRun> {
  const cpuBefore = cpuTimes(child.pid!).self;
  const [command, args] = pinned(LOADGEN_CPU, process.execPath, [
    LOADGEN,
    ...['--port', String(port), '--ca', cert, '--body', REVIEW, '--rate', String(rate)],
    ...['--ms', String(config.runMs), '--warmup-ms', String(config.warmupMs)],
    ...['--connections', String(config.connections), '--drain-ms', String(config.drainMs)],
    ...['--vary', vary],
  ]);
  const started = performance.now();
  const result = await runCommand(command, args, 120_000);
  const seconds = (performance.now() - started) / 1000;
  if (result.code !== 0) throw new Error(`loadgen exited ${result.code}: ${result.stderr.trim()}`);
  const summary = JSON.parse(result.stdout) as Omit<
    WebhookRun,
    'server' | 'serverCpuPercent' | 'serverCpuPerReviewUs' | 'rssBytes' | 'rssPeakBytes'
  >;
  const { rss, hwm } = memory(child.pid!);
  const serverCpu = cpuTimes(child.pid!).self - cpuBefore;
  return {
    server,
    ...summary,
    serverCpuPercent: (serverCpu / seconds) * 100,
    serverCpuPerReviewUs: (serverCpu * 1e6) / Math.max(1, summary.completed + summary.completedInWarmup),
    rssBytes: rss,
    rssPeakBytes: hwm,
  };
}

export async function webhook(
  config: BenchConfig['webhook'],
  root: string,
  log: (line: string) => void,
): Promise<{
  patchBytes: Record<string, number>;
  runs: WebhookRun[];
  primeMs: number;
  stages?: Record<string, number>;
}> {
  const { cert } = await makeCertificate(root);
  const cli = await builtCli(root);
  const servers = [
    floorServer(SERVERS.nodeFloor, NODE_FLOOR),
    ...(config.fastifyFloor ? [floorServer(SERVERS.fastifyFloor, FASTIFY_FLOOR)] : []),
    floorServer(SERVERS.reviewFloor, REVIEW_FLOOR, ['--built', join(cli, '../..')]),
    logwardWebhook(SERVERS.logward, cli, []),
    // A webhook of its own, so that its memory and CPU are not the other's: what nothing remembered costs.
    logwardWebhook(SERVERS.distinct, cli, [], 'pod'),
    ...(config.quietVariant ? [logwardWebhook(SERVERS.quiet, cli, ['--log-level=warn'])] : []),
  ];
  const runs: WebhookRun[] = [];
  const patchBytes: Record<string, number> = {};
  // All servers start first and take turns at each rate, so the machine's other work (it drifts
  // over minutes) weighs on the floor and on the webhook alike.
  const running: Running[] = [];
  try {
    for (const server of servers) {
      const { child, port, log: serverLog } = await server.start(root);
      running.push({ name: server.name, child, port, vary: server.vary ?? 'uid' });
      const answer = await firstReview(port, cert, child, serverLog);
      if (!answer.allowed) throw new Error(`${server.name} did not allow the review`);
      patchBytes[server.name] = answer.patchBytes;
    }
    for (const server of running) {
      await measure(server, PRIME_RATE, cert, { ...config, runMs: config.primeMs, warmupMs: 0 });
    }
    for (const rate of config.rates) {
      const rounds = new Map<string, WebhookRun[]>();
      for (let round = 0; round < config.rounds; round++) {
        for (const server of running) {
          const { name } = server;
          const run = await measure(server, rate, cert, config);
          log(
            `  ${name} at ${rate}/s${config.rounds > 1 ? ` (round ${round + 1})` : ''}: ${run.achieved.toFixed(0)}/s, p50 ${ms(run.latencyMs.p50)}, p99 ${ms(run.latencyMs.p99)}, p99.9 ${ms(run.latencyMs.p999)}, errors ${run.errors}, CPU ${run.serverCpuPercent.toFixed(0)}% (${run.serverCpuPerReviewUs.toFixed(0)} µs/review), generator ${run.generatorCpuPercent.toFixed(0)}%, RSS ${(run.rssBytes / 2 ** 20).toFixed(0)} MiB`,
          );
          rounds.set(name, [...(rounds.get(name) ?? []), run]);
        }
      }
      for (const measured of rounds.values()) runs.push(medianRound(measured));
    }
  } finally {
    for (const { child } of running) {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    }
  }
  const stages = await reviewStages(cli).catch((error: Error) => {
    log(`  review stages not measured: ${error.message}`);
    return undefined;
  });
  return { patchBytes, runs, primeMs: config.primeMs, stages };
}

/**
 * One server's rounds at one rate as one run: the figures of its median round by p99 (a single
 * pause of a shared machine, its hypervisor's or the generator's, decides one round's tail, and
 * falls on any server's turn), its CPU per review over all rounds, its peak memory the highest.
 */
export function medianRound(rounds: readonly WebhookRun[]): WebhookRun {
  if (rounds.length === 1) return rounds[0]!;
  const p99 = (run: WebhookRun) => run.latencyMs.p99 ?? Number.POSITIVE_INFINITY;
  const sorted = [...rounds].sort((a, b) => p99(a) - p99(b));
  const middle = sorted[Math.floor((sorted.length - 1) / 2)]!;
  const reviews = (run: WebhookRun) => run.completed + run.completedInWarmup;
  const cpuUs = rounds.reduce((sum, run) => sum + run.serverCpuPerReviewUs * reviews(run), 0);
  return {
    ...middle,
    serverCpuPerReviewUs:
      cpuUs /
      Math.max(
        1,
        rounds.reduce((sum, run) => sum + reviews(run), 0),
      ),
    rssPeakBytes: Math.max(...rounds.map((run) => run.rssPeakBytes)),
    roundsP99Ms: rounds.map((run) => run.latencyMs.p99),
  };
}

/** bench/review-stages.ts on the server's core, once the servers are gone: µs per stage. */
async function reviewStages(cli: string): Promise<Record<string, number>> {
  const [command, args] = pinned(SERVER_CPU, process.execPath, [
    REVIEW_STAGES,
    ...['--built', join(cli, '../..'), '--body', REVIEW],
  ]);
  const result = await runCommand(command, args, 120_000);
  if (result.code !== 0) throw new Error(`review-stages exited ${result.code}: ${result.stderr.trim()}`);
  return (JSON.parse(result.stdout) as { stages: Record<string, number> }).stages;
}
