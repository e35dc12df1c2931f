// A second floor for the webhook comparison: the smallest fastify HTTPS handler that answers an
// AdmissionReview with an empty JSON patch. Same framework, TLS and body parsing as the
// webhook, no decision and no logging: its distance from floor-node.ts is what fastify costs,
// the webhook's distance from it what Logward's decision, patch, logs and metrics cost.
//
//   node bench/floor-fastify.ts --cert FILE --key FILE    (prints {"port":N} once listening)
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';

const { values } = parseArgs({ options: { cert: { type: 'string' }, key: { type: 'string' } } });
const app = Fastify({
  logger: false,
  https: { cert: readFileSync(values.cert!), key: readFileSync(values.key!) },
});
const EMPTY_PATCH = Buffer.from('[]').toString('base64');

app.post('/mutate', async (request) => {
  const review = request.body as { request?: { uid?: string } };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: { uid: review.request?.uid ?? '', allowed: true, patchType: 'JSONPatch', patch: EMPTY_PATCH },
  };
});

await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
process.stdout.write(
  `${JSON.stringify({ port: typeof address === 'object' ? address?.port : undefined })}\n`,
);
process.on('SIGTERM', () => void app.close());
