import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';

export interface OpsRoutesOptions {
  registry: Registry;
  /** Ready means "can answer reviews": the HTTPS listener is up with a certificate loaded. */
  isReady: () => boolean;
}

/** Health and metrics, on a plain-HTTP port of their own so probes and Prometheus need no TLS. */
export const opsRoutes: FastifyPluginAsync<OpsRoutesOptions> = async (app, { registry, isReady }) => {
  app.get('/healthz', async () => 'ok');
  app.get('/readyz', async (_req, reply) => {
    if (isReady()) return 'ok';
    reply.code(503);
    return 'not ready';
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
};
