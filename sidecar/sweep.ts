// One pass over the directory: scan, plan, execute, and again while the last round changed
// sizes (compressions shrink the directory by amounts only known afterwards) or ran out of
// space. Bounded, so a file that keeps failing cannot keep the pass going.
import type { Policy } from '../contract/policy.ts';
import { type ActionResult, type ExecuteContext, execute } from './execute.ts';
import { plan } from './plan.ts';
import { type ScanResult, scan, usageOf } from './scan.ts';
import type { Action, FileInfo } from './types.ts';

const MAX_ROUNDS = 4;

export interface SweepReport {
  rounds: number;
  usageBefore: number;
  usageAfter: number;
  files: FileInfo[];
  skipped: ScanResult['skipped'];
  results: ActionResult[];
}

export interface SweepOptions {
  context: ExecuteContext;
  policy: Policy;
  now: () => number;
  /** Called after each round with its results, so logs and metrics follow progress. */
  onResults?: (results: ActionResult[]) => void;
}

export async function sweep(options: SweepOptions): Promise<SweepReport> {
  const { context, policy } = options;
  let scanned = await scan(context.dir, policy, context.fs);
  const report: SweepReport = {
    rounds: 0,
    usageBefore: usageOf(scanned.files),
    usageAfter: 0,
    files: scanned.files,
    skipped: scanned.skipped,
    results: [],
  };
  let noSpace = false;
  // A failure other than ENOSPC (which retention may fix) would fail the same way again in the
  // next round: not retried until the next pass.
  const failed = new Set<string>();
  const key = (action: Action) => `${action.kind}:${action.file}`;
  while (report.rounds < MAX_ROUNDS && !context.signal?.aborted) {
    const actions = plan(scanned.files, policy, options.now(), { noSpace }).filter(
      (a) => !failed.has(key(a)),
    );
    if (actions.length === 0) break;
    report.rounds++;
    const results = await execute(actions, context);
    report.results.push(...results);
    options.onResults?.(results);
    scanned = await scan(context.dir, policy, context.fs);
    noSpace = results.some((r) => !r.ok && r.code === 'ENOSPC');
    for (const r of results) if (!r.ok && r.code !== 'ENOSPC') failed.add(key(r.action));
    const resized = results.some((r) => r.ok && (r.action.kind === 'compress' || r.action.kind === 'cap'));
    if (!resized && !noSpace) break;
  }
  report.files = scanned.files;
  report.skipped = scanned.skipped;
  report.usageAfter = usageOf(scanned.files);
  return report;
}

/** The plan alone, for `--dry-run`: nothing on disk changes. */
export async function dryRun(options: Omit<SweepOptions, 'onResults'>): Promise<Action[]> {
  const scanned = await scan(options.context.dir, options.policy, options.context.fs);
  return plan(scanned.files, options.policy, options.now());
}
