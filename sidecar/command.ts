// `logward sidecar`: flags and annotations into a policy, then one sweep (`--once`), the plan
// (`--dry-run`), or the long-running service until SIGTERM.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { EXIT, InputError, UsageError, wrap } from '../base/errors.ts';
import type { Command, Io } from '../base/io.ts';
import { KEYS } from '../contract/keys.ts';
import { type Policy, parsePolicy, type RawAnnotations } from '../contract/policy.ts';
import type { FallocateMethod } from './cap.ts';
import { checkDirectory, runDirectories } from './directories.ts';
import { createEventRecorder, type EventRecorder } from './events.ts';
import { helpText, inFlagTerms, parseSidecarArgs, type SidecarArgs } from './flags.ts';
import { realFs } from './fs.ts';
import { kubeEventSink } from './kube-events.ts';
import { createLogger, type Logger } from './log.ts';
import { createMetrics, serveMetrics } from './metrics.ts';
import { createPolicySource, readAnnotations } from './policy-source.ts';
import { newReportState, setPolicyGauges, startService, sweepAndReport } from './service.ts';
import { dryRun } from './sweep.ts';

const readText = (path: string) => readFile(path, 'utf8');

export const sidecarCommand: Command = async (args, io) => {
  const parsed = parseSidecarArgs(args);
  if (parsed.help) {
    io.stdout.write(helpText());
    return EXIT.ok;
  }
  if (parsed.directories) return runDirectories(parsed, parsed.directories, io);
  const logger = createLogger(io.stderr);
  const { policy, fallback } = await initialPolicy(parsed, logger);
  await checkDirectory(policy.logDir);

  if (parsed.dryRun) {
    const planned = await dryRun({ context: executeContext(policy, new Set()), policy, now: Date.now });
    for (const action of planned.actions) io.stdout.write(`${JSON.stringify(action)}\n`);
    if (planned.deferred > 0) {
      logger.log('info', 'plan_batched', {
        actions: planned.actions.length,
        deferred: planned.deferred,
        note: 'a pass works through a backlog in batches; the rest is planned once these are done',
      });
    }
    return EXIT.ok;
  }
  const metrics = createMetrics();
  setPolicyGauges(metrics, policy);
  const sink = kubeEventSink(io.env);
  const events = sink ? createEventRecorder(sink, logger, Date.now) : undefined;
  const deps = { fs: realFs, logger, metrics, now: Date.now, events };
  if (parsed.once) {
    const report = await sweepAndReport(deps, policy, new Set(), newReportState());
    await events?.flush();
    logger.log('info', 'sweep_done', {
      rounds: report.rounds,
      usage_before: report.usageBefore,
      usage_after: report.usageAfter,
    });
    return report.failures.length === 0 ? EXIT.ok : EXIT.failure;
  }
  return runUntilStopped(parsed, policy, fallback, deps, io);
};

async function runUntilStopped(
  parsed: SidecarArgs,
  policy: Policy,
  fallback: RawAnnotations,
  deps: {
    fs: typeof realFs;
    logger: Logger;
    metrics: ReturnType<typeof createMetrics>;
    now: () => number;
    events: EventRecorder | undefined;
  },
  io: Io,
): Promise<number> {
  const source = createPolicySource({
    initial: policy,
    file: parsed.annotationsFile,
    fallback,
    options: { volumeSizeLimit: parsed.volumeSizeLimit },
    readFile: readText,
    logger: deps.logger,
  });
  const service = startService({ ...deps, policy: source, annotationsFile: parsed.annotationsFile });
  let server: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  try {
    server = await serveMetrics(deps.metrics, parsed.metricsPort, () => service.healthy());
  } catch (error) {
    await service.stop();
    throw wrap(`serve metrics on port ${parsed.metricsPort}`, error);
  }
  deps.logger.log('info', 'started', { dir: policy.logDir, metrics_port: server.port });
  const signal = await io.stopSignal;
  deps.logger.log('info', 'stopping', { signal });
  await service.stop();
  await deps.events?.flush();
  await server.close();
  deps.logger.log('info', 'stopped', {});
  return EXIT.ok;
}

/**
 * Flags must make a valid policy on their own: a bad flag is the caller's mistake (exit 2). A
 * bad annotation is the pod author's: logged, naming the key, and the flags' policy applies,
 * because a sidecar that refuses to start protects nothing.
 */
async function initialPolicy(
  parsed: SidecarArgs,
  logger: Logger,
): Promise<{ policy: Policy; fallback: RawAnnotations }> {
  let annotations: RawAnnotations = {};
  if (parsed.annotationsFile !== undefined) {
    try {
      annotations = await readAnnotations(parsed.annotationsFile, readText);
    } catch (error) {
      throw new InputError(
        wrap(`read annotations file ${JSON.stringify(parsed.annotationsFile)}`, error).message,
      );
    }
  }
  const fallback: RawAnnotations = {
    ...parsed.policyFlags,
    ...(parsed.dir !== undefined ? { [KEYS.logDir]: resolve(parsed.dir) } : {}),
  };
  const options = { volumeSizeLimit: parsed.volumeSizeLimit };
  const flagsOnly = parsePolicy({}, fallback, options);
  if (!flagsOnly.ok) throw new UsageError(flagsOnly.problems.map((p) => inFlagTerms(p.message)).join('; '));
  const full = parsePolicy(annotations, fallback, options);
  for (const warning of full.warnings) logger.log('warn', 'policy_warning', { warning });
  if (full.ok) return { policy: full.policy, fallback };
  for (const problem of full.problems) {
    logger.log('error', 'policy_refused', { key: problem.key, value: problem.value, error: problem.message });
  }
  return { policy: flagsOnly.policy, fallback };
}

function executeContext(policy: Policy, refused: Set<FallocateMethod>) {
  return { fs: realFs, dir: policy.logDir, compressLevel: policy.compressLevel, refused };
}
