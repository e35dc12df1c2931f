import type { FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import { SKIP_REASONS } from '../inject/reasons.ts';
import type { Admitted } from './admit.ts';
import type { AdmissionRequest } from './review.ts';

// The `reviewed` line, one per review. A pod template's replicas share their answer
// (template-answers.ts freezes its verdict), and with it every field of the line but the uid:
// for them those fields are bound into a child logger once, which serialises them once, and
// each replica's line adds its uid and request id to that text.

type Route = 'mutate' | 'validate';

/** The line's message, by which the log batches these lines (webhook/command.ts). */
export const REVIEWED = 'reviewed';

export type ReviewedLine = (
  reqId: string,
  route: Route,
  request: AdmissionRequest,
  admitted: Admitted,
) => void;

/** A review's fields as the line gives them, its uid apart. */
function fieldsOf(route: Route, request: AdmissionRequest, admitted: Admitted) {
  return {
    route,
    namespace: request.namespace,
    kind: request.kind.kind,
    operation: request.operation,
    name: request.name || request.object?.metadata?.name || request.object?.metadata?.generateName,
    dryRun: request.dryRun ?? false,
    outcome: admitted.outcome,
    reasons: admitted.reasons?.map((reason) => SKIP_REASONS[reason].text),
    tolerated: admitted.tolerated,
    notes: admitted.notes,
    message: admitted.verdict.status?.message,
    warnings: admitted.outcome === 'tolerated' ? admitted.verdict.warnings : undefined,
  };
}

/** Skipped and ignored reviews at debug (most pods are not opted in); the rest at info. */
export function reviewedLine(log: FastifyBaseLogger): ReviewedLine {
  // fastify's logger is pino's (server.ts is given one), whose type fastify's leaves out.
  const enabled = (level: 'info' | 'debug') =>
    (log as FastifyBaseLogger & Partial<Pick<Logger, 'isLevelEnabled'>>).isLevelEnabled?.(level) ?? true;
  const bound = new WeakMap<
    object,
    { request: AdmissionRequest; route: Route; admitted: Admitted; logger: FastifyBaseLogger }
  >();
  return (reqId, route, request, admitted) => {
    const level = admitted.outcome === 'skipped' || admitted.outcome === 'ignored' ? 'debug' : 'info';
    if (!enabled(level)) return;
    const { verdict } = admitted;
    if (!Object.isFrozen(verdict)) {
      log[level]({ reqId, uid: request.uid, ...fieldsOf(route, request, admitted) }, REVIEWED);
      return;
    }
    let entry = bound.get(verdict);
    if (!entry || !sameLine(entry, route, request, admitted)) {
      entry = { request, route, admitted, logger: log.child(fieldsOf(route, request, admitted)) };
      bound.set(verdict, entry);
    }
    entry.logger[level]({ reqId, uid: request.uid }, REVIEWED);
  };
}

/** Whether the bound fields are this review's: everything fieldsOf reads but the verdict, which is the key. */
function sameLine(
  entry: { request: AdmissionRequest; route: Route; admitted: Admitted },
  route: Route,
  request: AdmissionRequest,
  admitted: Admitted,
): boolean {
  const a = entry.request;
  return (
    entry.route === route &&
    a.namespace === request.namespace &&
    a.kind.kind === request.kind.kind &&
    a.operation === request.operation &&
    a.name === request.name &&
    a.object === request.object &&
    a.dryRun === request.dryRun &&
    entry.admitted.outcome === admitted.outcome &&
    entry.admitted.reasons === admitted.reasons &&
    entry.admitted.tolerated === admitted.tolerated &&
    entry.admitted.notes === admitted.notes
  );
}
