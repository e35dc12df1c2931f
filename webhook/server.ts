import type { Server as TlsServer } from 'node:tls';
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { type AdmissionRoutesOptions, admissionRoutes } from './admission-routes.ts';
import { DEFAULT_LIMITS } from './limits.ts';
import { opsRoutes } from './ops-routes.ts';
import type { KeyPair } from './tls/tls-files.ts';

export interface ServersOptions extends AdmissionRoutesOptions {
  tls: KeyPair;
  /** JSON lines on stdout; `pino({ level: 'silent' })` in tests. */
  logger: FastifyBaseLogger;
}

export interface Servers {
  admission: FastifyInstance;
  ops: FastifyInstance;
  /** Serves a new certificate to new connections; connections already open keep theirs. */
  setKeyPair(pair: KeyPair): void;
  ready: boolean;
}

/**
 * No route declares a JSON schema: bodies are checked by review.ts, answers serialised with
 * JSON.stringify. Without this, fastify loads ajv and fast-json-stringify for every instance
 * (about a tenth of a second of the webhook's start) to build compilers nothing would call.
 */
const WITHOUT_SCHEMAS: Pick<FastifyServerOptions, 'schemaController'> = {
  schemaController: {
    compilersFactory: {
      buildValidator: () => () => {
        throw new Error('Logward routes declare no JSON schema; validate in review.ts');
      },
      buildSerializer: () => () => {
        throw new Error('Logward routes declare no JSON schema; answers are JSON.stringify');
      },
    },
  },
};

/** The HTTPS admission server and the plain-HTTP ops server, built but not listening. */
export function buildServers(options: ServersOptions): Servers {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const admission = Fastify({
    https: {
      ...options.tls,
      minVersion: 'TLSv1.2',
      handshakeTimeout: limits.handshakeTimeoutMs,
      // Node checks header and request timeouts on this interval (30s by default), which would
      // let a stalled request live three times its timeout.
      connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
    } as object,
    loggerInstance: options.logger,
    // fastify's own two lines per request would double the logging cost of a review (the
    // largest share of its latency at 1,000 reviews/s); our `reviewed` line says what matters.
    logController: new LogController({ disableRequestLogging: true }),
    ...WITHOUT_SCHEMAS,
    // The API server reuses connections; closing idle ones at shutdown lets close() finish promptly.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
  });
  const server = admission.server as unknown as TlsServer & {
    headersTimeout: number;
    maxConnections: number;
  };
  server.headersTimeout = limits.headersTimeoutMs;
  server.maxConnections = limits.connections;
  admission.register(admissionRoutes, {
    cluster: options.cluster,
    sidecarMode: options.sidecarMode,
    lookupOwner: options.lookupOwner,
    lookupNamespace: options.lookupNamespace,
    metrics: options.metrics,
    failClosed: options.failClosed,
    limits,
  });
  const servers: Servers = {
    admission,
    ops: Fastify({ loggerInstance: admission.log, ...WITHOUT_SCHEMAS }),
    ready: false,
    setKeyPair(pair) {
      (admission.server as unknown as TlsServer).setSecureContext({ ...pair, minVersion: 'TLSv1.2' });
    },
  };
  servers.ops.register(opsRoutes, { registry: options.metrics.registry, isReady: () => servers.ready });
  return servers;
}
