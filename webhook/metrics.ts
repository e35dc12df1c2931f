import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { InjectionSkipReason } from '../inject/reasons.ts';
import type { ReviewOutcome } from './admit.ts';
import type { ToleratedReason } from './judge.ts';

export interface WebhookMetrics {
  registry: Registry;
  observeReview(route: 'mutate' | 'validate', outcome: ReviewOutcome, seconds: number): void;
  observeSkip(reason: InjectionSkipReason): void;
  observeOwnerLookupFailure(): void;
  observeTolerated(route: 'mutate' | 'validate', reason: ToleratedReason): void;
  observeTurnedAway(status: number): void;
}

/** One registry per server instance, so tests can start several without clashing. */
export function createWebhookMetrics(): WebhookMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const reviews = new Counter({
    name: 'logward_webhook_reviews_total',
    help: 'Admission reviews answered, by route and outcome (injected, skipped, denied, tolerated, errored, allowed, ignored).',
    labelNames: ['route', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'logward_webhook_review_duration_seconds',
    help: 'Time from a decoded review to its answer, owner lookup included.',
    labelNames: ['route'] as const,
    // Admission budgets are milliseconds: resolution where it matters, up to the API server's timeout.
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const skips = new Counter({
    name: 'logward_webhook_skips_total',
    help: 'Pods left alone, by reason.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const ownerLookupFailures = new Counter({
    name: 'logward_webhook_owner_lookup_failures_total',
    help: "Owner lookups that failed or timed out; the pod's own annotations were used alone.",
    registers: [registry],
  });
  const tolerated = new Counter({
    name: 'logward_webhook_tolerated_total',
    help: 'Invalid settings allowed with a warning instead of refused, by route and reason (judged_at_owner, not_introduced, namespace_default, cluster_default).',
    labelNames: ['route', 'reason'] as const,
    registers: [registry],
  });
  const turnedAway = new Counter({
    name: 'logward_webhook_turned_away_total',
    help: 'Requests answered at once without being read: 503 (too many in flight, or no room for a large body) or 411 (no Content-Length).',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  return {
    registry,
    observeReview(route, outcome, seconds) {
      reviews.inc({ route, outcome });
      duration.observe({ route }, seconds);
    },
    observeSkip: (reason) => skips.inc({ reason }),
    observeOwnerLookupFailure: () => ownerLookupFailures.inc(),
    observeTolerated: (route, reason) => tolerated.inc({ route, reason }),
    observeTurnedAway: (status) => turnedAway.inc({ status: String(status) }),
  };
}
