// `logward sidecar` with several directories: one manager per directory (its own policy,
// watcher, cron sweep and budget, exactly the one-directory service), in one process, behind
// one metrics server whose series carry a `dir` label. A directory never sees another's files:
// each manager scans, plans and acts within its own directory only.
import { readFile, stat } from 'node:fs/promises';
import { EXIT, InputError, UsageError, wrap } from '../base/errors.ts';
import type { Io } from '../base/io.ts';
import { KEYS, type Key } from '../contract/keys.ts';
import { type ParseOptions, type Policy, parsePolicy, type RawAnnotations } from '../contract/policy.ts';
import type { DirectoryArg } from './dir-flags.ts';
import { createEventRecorder, type EventRecorder } from './events.ts';
import { mergeRegistries } from './exposition.ts';
import { inFlagTerms, type SidecarArgs } from './flags.ts';
import { realFs } from './fs.ts';
import { kubeEventSink } from './kube-events.ts';
import { createLogger, type Logger } from './log.ts';
import { createMetrics, type Metrics, serveMetrics } from './metrics.ts';
import { createPolicySource, readAnnotations } from './policy-source.ts';
import { newReportState, type Service, startService, sweepAndReport } from './service.ts';
import { dryRun } from './sweep.ts';

const readText = (path: string) => readFile(path, 'utf8');

/** The label that tells the directories' series apart. */
export const DIR_LABEL = 'dir';

interface Directory {
  arg: DirectoryArg;
  policy: Policy;
  fallback: RawAnnotations;
  pinned: Key[];
  options: ParseOptions;
  logger: Logger;
  metrics: Metrics;
}

export async function runDirectories(
  parsed: SidecarArgs,
  args: readonly DirectoryArg[],
  io: Io,
): Promise<number> {
  const logger = createLogger(io.stderr);
  const annotations = await readAllAnnotations(parsed.annotationsFile);
  const directories: Directory[] = [];
  for (const arg of args) directories.push(initialDirectory(parsed, arg, annotations, logger));
  for (const dir of directories) await checkDirectory(dir.arg.path);

  if (parsed.dryRun) {
    for (const dir of directories) {
      const planned = await dryRun({
        context: {
          fs: realFs,
          dir: dir.policy.logDir,
          compressLevel: dir.policy.compressLevel,
          refused: new Set(),
        },
        policy: dir.policy,
        now: Date.now,
      });
      for (const action of planned.actions)
        io.stdout.write(`${JSON.stringify({ dir: dir.arg.label, ...action })}\n`);
    }
    return EXIT.ok;
  }
  const sink = kubeEventSink(io.env);
  const events = sink ? createEventRecorder(sink, logger, Date.now) : undefined;
  if (parsed.once) {
    let failed = false;
    for (const dir of directories) {
      const report = await sweepAndReport(depsOf(dir, events), dir.policy, new Set(), newReportState());
      dir.logger.log('info', 'sweep_done', {
        rounds: report.rounds,
        usage_before: report.usageBefore,
        usage_after: report.usageAfter,
      });
      failed ||= report.failures.length > 0;
    }
    await events?.flush();
    return failed ? EXIT.failure : EXIT.ok;
  }
  return runUntilStopped(parsed, directories, events, logger, io);
}

async function runUntilStopped(
  parsed: SidecarArgs,
  directories: readonly Directory[],
  events: EventRecorder | undefined,
  logger: Logger,
  io: Io,
): Promise<number> {
  const services: Service[] = directories.map((dir) =>
    startService({
      ...depsOf(dir, events),
      annotationsFile: parsed.annotationsFile,
      policy: createPolicySource({
        initial: dir.policy,
        file: parsed.annotationsFile,
        fallback: dir.fallback,
        pinned: dir.pinned,
        options: dir.options,
        readFile: readText,
        logger: dir.logger,
      }),
    }),
  );
  const stopAll = () => Promise.all(services.map((service) => service.stop()));
  let server: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  try {
    const merged = mergeRegistries(directories.map((dir) => dir.metrics.registry));
    server = await serveMetrics({ ...directories[0]!.metrics, registry: merged }, parsed.metricsPort, () =>
      services.every((service) => service.healthy()),
    );
  } catch (error) {
    await stopAll();
    throw wrap(`serve metrics on port ${parsed.metricsPort}`, error);
  }
  logger.log('info', 'started', { dirs: directories.map((dir) => dir.arg.label), metrics_port: server.port });
  const signal = await io.stopSignal;
  logger.log('info', 'stopping', { signal });
  await stopAll();
  await events?.flush();
  await server.close();
  logger.log('info', 'stopped', {});
  return EXIT.ok;
}

/**
 * A directory's policy: the pod's annotations (less the keys this directory sets apart) over its
 * own settings over the shared flags. As for one directory, the flags must make a valid policy
 * on their own (exit 2), and an annotation that does not parse is logged and left out.
 */
function initialDirectory(
  parsed: SidecarArgs,
  arg: DirectoryArg,
  annotations: Record<string, string>,
  base: Logger,
): Directory {
  const logger = labelled(base, arg.label);
  const fallback: RawAnnotations = { ...parsed.policyFlags, ...arg.policyFlags, [KEYS.logDir]: arg.path };
  const pinned = Object.keys(arg.policyFlags) as Key[];
  const options = { volumeSizeLimit: arg.volumeSizeLimit ?? parsed.volumeSizeLimit };
  const flagsOnly = parsePolicy({}, fallback, options);
  if (!flagsOnly.ok) {
    throw new UsageError(
      `--dir ${arg.path}: ${flagsOnly.problems.map((p) => inFlagTerms(p.message)).join('; ')}`,
    );
  }
  const view = { ...annotations };
  for (const key of pinned) delete view[key];
  const full = parsePolicy(view, fallback, options);
  for (const warning of full.warnings) logger.log('warn', 'policy_warning', { warning });
  if (!full.ok) {
    for (const problem of full.problems) {
      logger.log('error', 'policy_refused', {
        key: problem.key,
        value: problem.value,
        error: problem.message,
      });
    }
  }
  const metrics = createMetrics();
  metrics.registry.setDefaultLabels({ [DIR_LABEL]: arg.label });
  const policy = full.ok ? full.policy : flagsOnly.policy;
  return { arg, policy, fallback, pinned, options, logger, metrics };
}

async function readAllAnnotations(file: string | undefined): Promise<Record<string, string>> {
  if (file === undefined) return {};
  try {
    return (await readAnnotations(file, readText)) as Record<string, string>;
  } catch (error) {
    throw new InputError(wrap(`read annotations file ${JSON.stringify(file)}`, error).message);
  }
}

export async function checkDirectory(dir: string): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch (error) {
    throw new InputError(wrap(`read log directory ${JSON.stringify(dir)}`, error).message);
  }
  if (!isDirectory)
    throw new InputError(`failed to read log directory ${JSON.stringify(dir)}: not a directory`);
}

function depsOf(dir: Directory, events: EventRecorder | undefined) {
  return { fs: realFs, logger: dir.logger, metrics: dir.metrics, now: Date.now, events };
}

/** Every line a directory's manager logs names the directory as the app sees it. */
function labelled(logger: Logger, label: string): Logger {
  return { log: (level, msg, fields = {}) => logger.log(level, msg, { ...fields, app_dir: label }) };
}
