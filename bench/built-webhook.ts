// What the bench's review servers and stage timings load from the built JavaScript (the form
// the image runs, not the TypeScript sources): the webhook's modules and the cluster context of
// its defaults without cluster credentials (owner lookup off, auto meaning native).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const load = <T>(built: string, path: string): Promise<T> => import(pathToFileURL(join(built, path)).href);

export async function loadBuiltWebhook(built: string) {
  const review = await load<typeof import('../webhook/review.ts')>(built, 'webhook/review.js');
  const admit = await load<typeof import('../webhook/admit.ts')>(built, 'webhook/admit.js');
  const subject = await load<typeof import('../inject/subject.ts')>(built, 'inject/subject.js');
  const patch = await load<typeof import('../inject/patch.ts')>(built, 'inject/patch.js');
  const owner = await load<typeof import('../webhook/owner-lookup.ts')>(built, 'webhook/owner-lookup.js');
  const namespace = await load<typeof import('../webhook/namespace-lookup.ts')>(
    built,
    'webhook/namespace-lookup.js',
  );
  const { clusterContext } = await load<typeof import('../inject/cluster-context.ts')>(
    built,
    'inject/cluster-context.js',
  );
  const { parseWebhookArgs } = await load<typeof import('../webhook/command.ts')>(
    built,
    'webhook/command.js',
  );
  const options = parseWebhookArgs(['--tls-cert=unused', '--tls-key=unused'], {});
  if (options === 'help') throw new Error('parseWebhookArgs answered help');
  const cluster = clusterContext({
    defaults: options.defaults,
    excludedNamespaces: options.excludedNamespaces,
    image: options.image,
    mode: 'native',
  });
  return {
    ...review,
    ...admit,
    ...subject,
    ...patch,
    cluster,
    lookups: { owner: owner.noOwnerLookup, namespace: namespace.noNamespaceLookup },
  };
}
