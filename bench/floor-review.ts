// A third server for the webhook comparison: the node:https floor (floor-node.ts) answering with
// Logward's own review instead of an empty patch: the same parse, decision, patch and answer
// `logward webhook` runs (from the built JavaScript the bench times), without fastify, logs or
// metrics. Its distance from the floor is what the review itself costs (deciding, diffing,
// encoding a patch of a few KiB); the webhook's distance from it, what the framework and the
// webhook's plumbing (hooks, its log line, metrics) add.
//
//   node bench/floor-review.ts --cert FILE --key FILE --built DIR   (prints {"port":N} once listening)
import { parseArgs } from 'node:util';
import { loadBuiltWebhook } from './built-webhook.ts';
import { serveFloor } from './floor-server.ts';

const { values } = parseArgs({
  options: { cert: { type: 'string' }, key: { type: 'string' }, built: { type: 'string' } },
});
const { admitPod, cluster, complete, lookups, parseReview } = await loadBuiltWebhook(values.built!);

serveFloor({ cert: values.cert!, key: values.key! }, async (body) => {
  let parsed: ReturnType<typeof parseReview>;
  try {
    parsed = parseReview(JSON.parse(body.toString()));
  } catch {
    return undefined;
  }
  if (!parsed.ok) return undefined;
  const admitted = await admitPod(parsed.request, cluster, lookups);
  return complete(admitted.verdict, parsed.request);
});
