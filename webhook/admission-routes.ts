import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { type Admitted, admitPod, type ClusterContext, validateWorkload } from './admit.ts';
import type { WebhookMetrics } from './metrics.ts';
import type { OwnerLookup } from './owner-lookup.ts';
import { SKIP_REASONS } from './reasons.ts';
import { type AdmissionRequest, complete, errored, parseReview } from './review.ts';

export interface AdmissionRoutesOptions {
  cluster: ClusterContext;
  lookupOwner: OwnerLookup;
  metrics: WebhookMetrics;
}

// kube-apiserver refuses objects over 3 MiB, and an UPDATE review carries both the object and
// the old one, in JSON that can be larger than what etcd stores: 8 MiB admits every review the
// API server can send while bounding what a misbehaving client can make us buffer.
export const ADMISSION_BODY_LIMIT = 8 * 1024 * 1024;

/** POST /mutate and /validate: decode, call the handler, encode. Nothing here decides. */
export const admissionRoutes: FastifyPluginAsync<AdmissionRoutesOptions> = async (
  app: FastifyInstance,
  options,
) => {
  const { cluster, lookupOwner, metrics } = options;
  // kube-apiserver sends JSON only; anything else is a misdirected client and gets a 415.
  app.removeContentTypeParser('text/plain');

  const serve =
    (route: 'mutate' | 'validate', handle: (request: AdmissionRequest) => Promise<Admitted> | Admitted) =>
    async (req: { body: unknown; log: FastifyInstance['log'] }, reply: { code(status: number): unknown }) => {
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
        req.log.error({ err: error, uid: request.uid }, 'review failed');
        admitted = {
          verdict: errored(500, `Logward failed to review this object: ${(error as Error).message}`),
          outcome: 'errored',
        };
      }
      metrics.observeReview(route, admitted.outcome, (performance.now() - started) / 1000);
      for (const reason of admitted.reasons ?? []) metrics.observeSkip(reason);
      if (admitted.ownerLookupError !== undefined) {
        metrics.observeOwnerLookupFailure();
        req.log.warn(
          { err: admitted.ownerLookupError, uid: request.uid },
          "owner lookup failed; used the pod's own annotations",
        );
      }
      const fields = {
        uid: request.uid,
        route,
        namespace: request.namespace,
        kind: request.kind.kind,
        name: request.name || request.object?.metadata?.name || request.object?.metadata?.generateName,
        dryRun: request.dryRun ?? false,
        outcome: admitted.outcome,
        reasons: admitted.reasons?.map((reason) => SKIP_REASONS[reason]),
        notes: admitted.notes,
        message: admitted.verdict.status?.message,
      };
      if (admitted.outcome === 'skipped' || admitted.outcome === 'ignored') req.log.debug(fields, 'reviewed');
      else req.log.info(fields, 'reviewed');
      return complete(admitted.verdict, request);
    };

  app.post(
    '/mutate',
    { bodyLimit: ADMISSION_BODY_LIMIT },
    serve('mutate', (request) => admitPod(request, cluster, lookupOwner)),
  );
  app.post(
    '/validate',
    { bodyLimit: ADMISSION_BODY_LIMIT },
    serve('validate', (request) => validateWorkload(request, cluster)),
  );
};
