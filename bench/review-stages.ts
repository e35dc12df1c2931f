// The webhook's review taken apart: each stage of answering the realistic review timed alone,
// in one process with no server, from the built JavaScript the bench runs. The saturated
// comparison says how much CPU a review costs in a server; this says which of its parts can
// shrink and which are the answer itself (the patch has to be encoded and sent whatever
// decides it). Stages in a server cost more than here, where their data stays in the caches.
//
//   node bench/review-stages.ts --built DIR --body FILE   (prints {"stages":{name: µs}})
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadBuiltWebhook } from './built-webhook.ts';
import { FLOOR_STAGES, LOGWARD_STAGES } from './review-stage-names.ts';

const { values } = parseArgs({ options: { built: { type: 'string' }, body: { type: 'string' } } });
const { cluster, complete, decideSubject, diffPatch, parseReview, patched, subjectOf } =
  await loadBuiltWebhook(values.built!);
const body = readFileSync(values.body!);
const parsed = parseReview(JSON.parse(body.toString()));
if (!parsed.ok) throw new Error(parsed.message);
const { request } = parsed;
const subject = () => subjectOf(request.object!, 'Pod', request.namespace)!;
const decision = decideSubject(subject(), cluster);
if (decision.kind !== 'inject') throw new Error(`the review fixture was not injected: ${decision.kind}`);
const operations = diffPatch(request.object!, decision.pod);
const verdict = patched(operations);
// The webhook's `reviewed` line, as it writes it: pino, synchronous, one line per injected pod.
const log = pino({ level: 'info', base: { component: 'webhook' } }, pino.destination({ dest: '/dev/null' }));
const requestLog = log.child({ reqId: 'req-1' });
const fields = {
  uid: request.uid,
  route: 'mutate',
  namespace: request.namespace,
  kind: 'Pod',
  operation: 'CREATE',
  name: request.object?.metadata?.name,
  dryRun: false,
  outcome: 'injected',
  notes: decision.notes,
};

// The floor's answer: an empty patch.
const EMPTY = {
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  response: { uid: request.uid, allowed: true, patchType: 'JSONPatch', patch: 'W10=' },
};
const STAGES: Record<string, () => unknown> = {
  [FLOOR_STAGES.parse]: () => JSON.parse(body.toString()),
  [FLOOR_STAGES.emptyAnswer]: () => JSON.stringify(EMPTY),
  [LOGWARD_STAGES.decide]: () => decideSubject(subject(), cluster),
  [LOGWARD_STAGES.diff]: () => diffPatch(request.object!, decision.pod),
  [LOGWARD_STAGES.encode]: () => patched(operations),
  [LOGWARD_STAGES.answer]: () => JSON.stringify(complete(verdict, request)),
  // Through a request's child logger, as fastify gives one (made per request at any level).
  [LOGWARD_STAGES.log]: () => requestLog.info(fields, 'reviewed'),
};

// Long enough for the JIT to settle, short enough to run in seconds; the best of rounds, since
// what is measured is the stage and not the machine's other work.
const ROUNDS = 5;
const ITERATIONS = 4000;
const stages: Record<string, number> = {};
for (const [name, stage] of Object.entries(STAGES)) {
  for (let i = 0; i < ITERATIONS; i++) stage();
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < ITERATIONS; i++) stage();
    best = Math.min(best, Number(process.hrtime.bigint() - started) / 1000 / ITERATIONS);
  }
  stages[name] = best;
}
process.stdout.write(`${JSON.stringify({ stages })}\n`);
