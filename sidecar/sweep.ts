// One pass over the directory: scan, plan, execute, and again while the last round changed
// sizes (compressions shrink the directory by amounts only known afterwards), ran out of space,
// or left part of a large backlog for later. Bounded, so a file that keeps failing cannot keep
// the pass going.
import type { Policy } from '../contract/policy.ts';
import { type ActionResult, type ExecuteContext, execute } from './execute.ts';
import { type PassPlan, planPass } from './plan.ts';
import { type ScanResult, scan } from './scan.ts';
import type { Action, FileInfo } from './types.ts';

/** Re-plans after compressions or ENOSPC: a few rounds settle what one pass can. */
const MAX_ROUNDS = 4;
/** A backlog worked through in batches: enough rounds for 100,000 files and more. */
const MAX_BATCH_ROUNDS = 100;

export interface SweepReport {
  rounds: number;
  /** Actions carried out, successful or not. */
  actions: number;
  /** The actions that failed (all results go to `onResults`: a backlog's would fill the heap). */
  failures: Extract<ActionResult, { ok: false }>[];
  usageBefore: number;
  usageAfter: number;
  files: FileInfo[];
  /** Subdirectories under the log directory, for the watcher. */
  directories: string[];
  skipped: ScanResult['skipped'];
  /** Files left alone whatever the policy says (not logs, hard-linked, in a subdirectory). */
  ignored: PassPlan['ignored'];
  /** Their allocated bytes: counted in the usage, never freed by the sidecar. */
  unmanagedBytes: number;
  /** Actions still held back when the pass ended (a backlog larger than its rounds). */
  deferred: number;
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
  let scanned: ScanResult | undefined = await scan(context.dir, policy, context.fs);
  let planned = planPass(scanned.files, policy, options.now(), { otherBytes: scanned.otherBytes });
  const report: SweepReport = {
    rounds: 0,
    actions: 0,
    failures: [],
    usageBefore: planned.usage,
    usageAfter: planned.usage,
    files: scanned.files,
    directories: scanned.directories,
    skipped: scanned.skipped,
    ignored: planned.ignored,
    unmanagedBytes: planned.unmanagedBytes,
    deferred: planned.deferred,
  };
  // A failure other than ENOSPC (which retention may fix) would fail the same way again in the
  // next round: not retried until the next pass.
  const failed = new Set<string>();
  const key = (action: Action) => `${action.kind}:${action.file}`;
  let batched = 0;
  while (!context.signal?.aborted) {
    const actions = planned.actions.filter((a) => !failed.has(key(a)));
    if (actions.length === 0) break;
    const backlog = planned.deferred > 0;
    if (backlog ? ++batched > MAX_BATCH_ROUNDS : report.rounds - batched >= MAX_ROUNDS) break;
    report.rounds++;
    // The listing is not needed while the actions run: a large one is garbage meanwhile.
    scanned = undefined;
    report.files = [];
    planned.actions = [];
    const results = await execute(actions, context);
    report.actions += results.length;
    for (const r of results) if (!r.ok) report.failures.push(r);
    options.onResults?.(results);
    scanned = await scan(context.dir, policy, context.fs);
    // The volume is fuller than the policy thinks: the next round frees space at once.
    const noSpace = results.some((r) => !r.ok && r.code === 'ENOSPC');
    for (const r of results) if (!r.ok && r.code !== 'ENOSPC') failed.add(key(r.action));
    const progressed = results.some((r) => r.ok);
    const resized = results.some((r) => r.ok && (r.action.kind === 'compress' || r.action.kind === 'cap'));
    planned = planPass(scanned.files, policy, options.now(), { otherBytes: scanned.otherBytes, noSpace });
    report.files = scanned.files;
    if (!resized && !noSpace && !(backlog && progressed)) break;
  }
  report.skipped = scanned?.skipped ?? [];
  report.directories = scanned?.directories ?? [];
  report.ignored = planned.ignored;
  report.unmanagedBytes = planned.unmanagedBytes;
  report.usageAfter = planned.usage;
  report.deferred = planned.deferred;
  return report;
}

/** The plan alone, for `--dry-run`: nothing on disk changes. */
export async function dryRun(options: Omit<SweepOptions, 'onResults'>): Promise<PassPlan> {
  const scanned = await scan(options.context.dir, options.policy, options.context.fs);
  return planPass(scanned.files, options.policy, options.now(), { otherBytes: scanned.otherBytes });
}
