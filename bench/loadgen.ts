// An open-loop HTTPS load generator: requests are sent on a fixed schedule whatever the server
// does, over keep-alive connections, and each latency is measured from the moment the request
// was due, not sent, so a stalled server shows in the percentiles instead of slowing the
// generator down (no coordinated omission). Bounded in count and time; loopback only.
//
//   node bench/loadgen.ts --port N --ca FILE --body FILE --rate R --ms T [--warmup-ms W]
//                         [--connections C] [--drain-ms D] [--vary none|uid|pod]
//                                                              (prints a JSON summary)
//
// --vary uid gives each review its own request.uid, as the API server does: the replicas of one
// pod template. --vary pod also makes each pod a different one (its generateName), so nothing
// learnt from one review applies to the next.
//
// Achieved is the server's throughput: every review answered (warm-up included) over the time
// from the first due request to the last answer. Latencies are those of the measured part only.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
// undici's Pool costs about half the CPU per request of node:https, and the generator must stay
// well below the server's cost to offer 5,000/s from one core.
import { Pool } from 'undici';
import { summarize } from './histogram.ts';
import { reviewBodies } from './review-bodies.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    ca: { type: 'string' },
    body: { type: 'string' },
    rate: { type: 'string' },
    ms: { type: 'string' },
    'warmup-ms': { type: 'string', default: '0' },
    connections: { type: 'string', default: '32' },
    path: { type: 'string', default: '/mutate' },
    'drain-ms': { type: 'string', default: '5000' },
    vary: { type: 'string', default: 'none' },
  },
});
const HOST = '127.0.0.1';
const rate = Number(values.rate);
const warmupMs = Number(values['warmup-ms']);
const measuredMs = Number(values.ms);
const body = reviewBodies(readFileSync(values.body!, 'utf8'), values.vary!);
const pool = new Pool(`https://${HOST}:${values.port}`, {
  connections: Number(values.connections),
  connect: { ca: readFileSync(values.ca!) },
});
const HEADERS = { 'content-type': 'application/json' };

const intervalMs = 1000 / rate;
const total = Math.round(((warmupMs + measuredMs) / 1000) * rate);
const warmupCount = Math.round((warmupMs / 1000) * rate);
const latencies: number[] = [];
let completed = 0;
let completedInWarmup = 0;
let errors = 0;
let outstanding = 0;
let lastEnd = 0;
let firstMeasuredDue = 0;

function send(index: number, due: number): void {
  outstanding++;
  const finish = (ok: boolean) => {
    outstanding--;
    const end = performance.now();
    if (ok) lastEnd = end;
    if (index < warmupCount) {
      if (ok) completedInWarmup++;
      return;
    }
    if (!ok) {
      errors++;
      return;
    }
    completed++;
    latencies.push(end - due);
  };
  pool.request({ path: values.path!, method: 'POST', headers: HEADERS, body: body(index) }).then(
    async (response) => {
      await response.body.dump();
      finish(response.statusCode === 200);
    },
    () => finish(false),
  );
}

const cpuAtStart = process.cpuUsage();
const start = performance.now() + 10;
let next = 0;
await new Promise<void>((resolve) => {
  const tick = () => {
    const now = performance.now();
    while (next < total && start + next * intervalMs <= now) {
      const due = start + next * intervalMs;
      if (next === warmupCount) firstMeasuredDue = due;
      send(next, due);
      next++;
    }
    if (next < total) setTimeout(tick, 1);
    else resolve();
  };
  tick();
});
const deadline = performance.now() + Number(values['drain-ms']);
while (outstanding > 0 && performance.now() < deadline)
  await new Promise((resolve) => setTimeout(resolve, 5));
const sent = total - warmupCount;
const cpu = process.cpuUsage(cpuAtStart);
const wall = (performance.now() - start) / 1000;
const seconds = (lastEnd - firstMeasuredDue) / 1000;
process.stdout.write(
  `${JSON.stringify({
    offered: rate,
    sent,
    completed,
    completedInWarmup,
    errors,
    unanswered: sent - completed - errors,
    seconds,
    achieved: (completed + completedInWarmup) / ((lastEnd - start) / 1000),
    latencyMs: summarize(latencies),
    /** The generator's own CPU, percent of one core: near 100 means it, not the server, limits. */
    generatorCpuPercent: ((cpu.user + cpu.system) / 1e6 / wall) * 100,
  })}\n`,
);
await pool.destroy();
