// A third server for the webhook comparison: the node:https floor (floor-node.ts) answering with
// Logward's own review instead of an empty patch: the same parse, decision, patch and answer
// `logward webhook` runs (from the built JavaScript the bench times), without fastify, logs or
// metrics. Its distance from the floor is what the review itself costs (deciding, diffing,
// encoding a patch of a few KiB); the webhook's distance from it, what the framework and the
// webhook's plumbing (hooks, its log line, metrics) add.
//
//   node bench/floor-review.ts --cert FILE --key FILE --built DIR   (prints {"port":N} once listening)
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { serveFloor } from './floor-server.ts';

const { values } = parseArgs({
  options: { cert: { type: 'string' }, key: { type: 'string' }, built: { type: 'string' } },
});
const load = <T>(path: string): Promise<T> => import(pathToFileURL(join(values.built!, path)).href);
const { admitPod } = await load<typeof import('../webhook/admit.ts')>('webhook/admit.js');
const { complete, parseReview } = await load<typeof import('../webhook/review.ts')>('webhook/review.js');
const { clusterContext } =
  await load<typeof import('../inject/cluster-context.ts')>('inject/cluster-context.js');
const { parseWebhookArgs } = await load<typeof import('../webhook/command.ts')>('webhook/command.js');
const { noOwnerLookup } = await load<typeof import('../webhook/owner-lookup.ts')>('webhook/owner-lookup.js');
const { noNamespaceLookup } = await load<typeof import('../webhook/namespace-lookup.ts')>(
  'webhook/namespace-lookup.js',
);

// The webhook's defaults, without cluster credentials (owner lookup off, auto meaning native).
const options = parseWebhookArgs(['--tls-cert=unused', '--tls-key=unused'], {});
if (options === 'help') throw new Error('parseWebhookArgs answered help');
const cluster = clusterContext({
  defaults: options.defaults,
  excludedNamespaces: options.excludedNamespaces,
  image: options.image,
  mode: 'native',
});

serveFloor({ cert: values.cert!, key: values.key! }, async (body) => {
  let parsed: ReturnType<typeof parseReview>;
  try {
    parsed = parseReview(JSON.parse(body.toString()));
  } catch {
    return undefined;
  }
  if (!parsed.ok) return undefined;
  const admitted = await admitPod(parsed.request, cluster, {
    owner: noOwnerLookup,
    namespace: noNamespaceLookup,
  });
  return complete(admitted.verdict, parsed.request);
});
