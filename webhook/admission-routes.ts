import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { ClusterContext } from '../inject/cluster-context.ts';
import type { SidecarMode } from '../inject/sidecar-container.ts';
import { createAdmissionGate } from './admission-gate.ts';
import { type Admitted, admitPod, validateWorkload } from './admit.ts';
import { validateNamespace } from './admit-namespace.ts';
import { DEFAULT_LIMITS, type ServerLimits } from './limits.ts';
import type { WebhookMetrics } from './metrics.ts';
import { type NamespaceLookup, noNamespaceLookup } from './namespace-lookup.ts';
import type { OwnerLookup } from './owner-lookup.ts';
import { type AdmissionRequest, completeText, errored, failedOpen, parseReview } from './review.ts';
import { type JsonParser, reviewTextParser } from './review-text.ts';
import { reviewedLine } from './reviewed-line.ts';
import { templateAnswers } from './template-answers.ts';

export interface AdmissionRoutesOptions {
  cluster: ClusterContext;
  /** The sidecar mode for this review, when it follows the cluster (auto); else `cluster.mode`. */
  sidecarMode?: () => SidecarMode;
  lookupOwner: OwnerLookup;
  /** Namespaces' annotations; none are read without it (a webhook without cluster credentials). */
  lookupNamespace?: NamespaceLookup;
  metrics: WebhookMetrics;
  /**
   * Deny when Logward itself fails (`--fail-closed`, for those running `failurePolicy: Fail`).
   * Off by default: a failure admits the object unchanged, as if Logward were absent.
   */
  failClosed?: boolean;
  limits?: ServerLimits;
}

/** POST /mutate and /validate: decode, call the handler, encode. Nothing here decides. */
export const admissionRoutes: FastifyPluginAsync<AdmissionRoutesOptions> = async (
  app: FastifyInstance,
  options,
) => {
  const { cluster, metrics } = options;
  const lookups = { owner: options.lookupOwner, namespace: options.lookupNamespace ?? noNamespaceLookup };
  const limits = options.limits ?? DEFAULT_LIMITS;
  const currentCluster = options.sidecarMode
    ? () => ({ ...cluster, mode: options.sidecarMode!() })
    : () => cluster;
  // kube-apiserver sends JSON only; anything else is a misdirected client and gets a 415.
  app.removeContentTypeParser('text/plain');
  // A template's replicas are parsed once and decided once (review-text.ts, template-answers.ts).
  const jsonParser = reviewTextParser(app.getDefaultJsonParser('error', 'error') as JsonParser);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, jsonParser);
  const answers = templateAnswers();
  const reviewed = reviewedLine(app.log);

  // Before the body is read: a request that would exceed what this replica takes at once is
  // turned away, and its connection closed rather than drained.
  const gate = createAdmissionGate(limits);
  app.addHook('onRequest', (req, reply, done) => {
    const entry = gate.enter(req.headers as Record<string, string | undefined>);
    if (!entry.ok) {
      metrics.observeTurnedAway(entry.status);
      reply.code(entry.status).header('connection', 'close').send({ error: entry.message });
      return;
    }
    // 'close' fires once the response is sent or the connection is gone, whichever comes first.
    reply.raw.once('close', entry.release);
    done();
  });

  const serve =
    (route: 'mutate' | 'validate', handle: (request: AdmissionRequest) => Promise<Admitted> | Admitted) =>
    async (
      req: { id: string; body: unknown; log: FastifyInstance['log'] },
      reply: { code(status: number): unknown; type(contentType: string): unknown },
    ) => {
      const parsed = parseReview(req.body);
      if (!parsed.ok) {
        reply.code(400);
        return { error: parsed.message };
      }
      const { request } = parsed;
      const started = performance.now();
      let admitted: Admitted;
      try {
        admitted = await handle(request);
      } catch (error) {
        req.log.error(
          { err: error, uid: request.uid, route, failClosed: options.failClosed ?? false },
          'review failed',
        );
        const message = `Logward failed to review this object: ${(error as Error).message}`;
        admitted = {
          verdict: options.failClosed
            ? errored(500, message)
            : failedOpen(`${message}; admitted unchanged, without the log volume and sidecar`),
          outcome: 'errored',
        };
      }
      metrics.observeReview(route, admitted.outcome, (performance.now() - started) / 1000);
      for (const reason of admitted.reasons ?? []) metrics.observeSkip(reason);
      for (const reason of admitted.tolerated ?? []) metrics.observeTolerated(route, reason);
      if (admitted.ownerLookupError !== undefined) {
        metrics.observeOwnerLookupFailure();
        req.log.warn(
          { err: admitted.ownerLookupError, uid: request.uid },
          "owner lookup failed; used the pod's own annotations",
        );
      }
      if (admitted.namespaceLookupError !== undefined) {
        req.log.warn(
          { err: admitted.namespaceLookupError, uid: request.uid, namespace: request.namespace },
          'namespace lookup failed; the object was admitted as if Logward were absent',
        );
      }
      reviewed(req.id, route, request, admitted);
      // Text, so fastify sends it as it is: a template's replicas share the verdict and its text.
      reply.type('application/json; charset=utf-8');
      return completeText(admitted.verdict, request);
    };

  app.post(
    '/mutate',
    { bodyLimit: limits.mutateBodyBytes },
    serve('mutate', (request) => admitPod(request, currentCluster(), lookups, answers)),
  );
  app.post(
    '/validate',
    { bodyLimit: limits.validateBodyBytes },
    // A Namespace's annotations are its pods' defaults; everything else is a workload or ignored.
    serve('validate', (request) =>
      request.kind.kind === 'Namespace'
        ? validateNamespace(request, currentCluster())
        : validateWorkload(request, currentCluster(), lookups.namespace),
    ),
  );
};
