// The raw figures of one run: what docs/benchmarks.json holds and the report renders.
import type { Contention, Machine } from './machine.ts';
import type { UsageResult } from './suites/bounded-usage.ts';
import type { CompressionResult } from './suites/compression.ts';
import type { FootprintResult } from './suites/footprint.ts';
import type { LostLinesResult } from './suites/lost-lines.ts';
import type { ReactionResult } from './suites/reaction.ts';
import type { WebhookRun } from './suites/webhook.ts';
import type { WebhookStartResult } from './suites/webhook-start.ts';

export interface Results {
  mode: 'quick' | 'full';
  date: string;
  durationSeconds: number;
  machine: Machine;
  versions: Record<string, string>;
  /** How the webhook and load generator were placed on cores. */
  pinning: string;
  /** Load and CPU share measured as each section started. */
  contention: Record<string, Contention>;
  lostLines?: LostLinesResult;
  usage?: UsageResult;
  reaction?: ReactionResult;
  compression?: CompressionResult;
  footprint?: FootprintResult;
  webhook?: {
    patchBytes: Record<string, number>;
    runs: WebhookRun[];
    /** How long each server answered 1,000 reviews/s, unmeasured, before the first rate. */
    primeMs?: number;
    /** Each stage of the review timed alone, µs (bench/review-stages.ts). */
    stages?: Record<string, number>;
    start?: WebhookStartResult;
  };
}
