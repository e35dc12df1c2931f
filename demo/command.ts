import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { UsageError } from '../base/errors.ts';
import type { Command } from '../base/io.ts';
import { parseDuration } from '../contract/duration.ts';
import { formatBytes, parseQuantity } from '../contract/quantity.ts';
import { clusterContext } from '../inject/cluster-context.ts';
import { injectObject } from '../inject/inject-object.ts';
import { defaultInjection } from '../inject/injection-flags.ts';
import type { KubeObject } from '../inject/workloads.ts';
import { runPhase } from './phase.ts';
import { type PhaseResult, progressLine, summaryTable, verdict } from './render.ts';

const EXAMPLE = new URL('../deploy/examples/going.yaml', import.meta.url);

const FLAGS = {
  'size-limit': { type: 'string', default: '200Mi' },
  rate: { type: 'string', default: '12Mi' },
  duration: { type: 'string', default: '20s' },
  day: { type: 'string', default: '3s' },
  keep: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

export function demoHelp(): string {
  return [
    'Usage: logward demo [flags]',
    '',
    'Replays the incident Logward exists for, on this machine, no cluster needed: an app writes',
    'going.YYYY-MM-DD.log (a day every few seconds), a .full.1.log spill and stat.log into a',
    'directory with a size limit. First without Logward, until kubelet would evict the pod; then',
    'with the real sidecar process keeping the directory under budget.',
    '',
    '  --size-limit QUANTITY   the emptyDir sizeLimit to simulate (default 200Mi)',
    '  --rate QUANTITY         bytes the app writes per second (default 12Mi)',
    '  --duration DURATION     length of each phase (default 20s)',
    '  --day DURATION          how long a simulated day lasts (default 3s)',
    '  --keep                  leave the directories behind to look at',
    '  --json                  print the two phase results as JSON at the end',
    '',
  ].join('\n');
}

export const demoCommand: Command = async (args, io) => {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args, options: FLAGS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; see logward demo --help`);
  }
  if (values.help) {
    io.stdout.write(demoHelp());
    return 0;
  }
  const quantity = (name: string) => {
    const bytes = parseQuantity(String(values[name]));
    if (!bytes)
      throw new UsageError(`--${name}: ${JSON.stringify(values[name])} is not a quantity; use e.g. 200Mi`);
    return bytes;
  };
  const duration = (name: string) => {
    const ms = parseDuration(String(values[name]));
    if (!ms)
      throw new UsageError(`--${name}: ${JSON.stringify(values[name])} is not a duration; use e.g. 20s`);
    return ms;
  };
  const sizeLimit = String(values['size-limit']);
  const limitBytes = quantity('size-limit');
  const bytesPerSecond = quantity('rate');
  const durationMs = duration('duration');
  const msPerDay = duration('day');

  const root = await mkdtemp(join(tmpdir(), 'logward-demo-'));
  const out = (text: string) => io.stdout.write(text);
  const live = Boolean((io.stdout as { isTTY?: boolean }).isTTY);
  const results: PhaseResult[] = [];
  try {
    out(
      `Logward demo: an app writes ${formatBytes(bytesPerSecond)}/s of logs into an emptyDir limited to ${formatBytes(limitBytes)}.\n`,
    );
    out(`Directories under ${root}\n\n`);
    for (const withSidecar of [false, true]) {
      const title = withSidecar ? 'with Logward' : 'without Logward';
      out(`== ${title} ==\n`);
      let lastPrinted = 0;
      const result = await runPhase({
        title,
        dir: join(root, withSidecar ? 'with-logward' : 'without-logward'),
        withSidecar,
        limitBytes,
        sizeLimit,
        durationMs,
        bytesPerSecond,
        msPerDay,
        stopAtShare: 1.15,
        onSample: (usage, elapsed) => {
          const extra = withSidecar
            ? `${usage.compressedFiles} compressed (${formatBytes(usage.compressedBytes)})`
            : `${(elapsed / 1000).toFixed(0)}s`;
          const line = progressLine(title, usage.bytes, limitBytes, extra);
          if (live) out(`\r${line}`);
          else if (elapsed - lastPrinted >= 1000) {
            out(`${line}\n`);
            lastPrinted = elapsed;
          }
        },
      });
      if (live) out('\n');
      out(`${verdict(result)}\n\n`);
      results.push(result);
    }
    out(`${summaryTable(results)}\n\n`);
    out(await examplePodSpec());
    if (values.json) out(`${JSON.stringify(results)}\n`);
  } finally {
    if (values.keep) out(`Kept ${root}\n`);
    else await rm(root, { recursive: true, force: true });
  }
  return 0;
};

/** What the webhook makes of the example Deployment: the same code as `logward inject`. */
async function examplePodSpec(): Promise<string> {
  const [document] = parseAllDocuments(await readFile(EXAMPLE, 'utf8')) as unknown as {
    toJS(): KubeObject;
  }[];
  const outcome = injectObject(document!.toJS(), clusterContext({ ...defaultInjection(), mode: 'native' }));
  if (outcome.kind !== 'injected') return '';
  const template = (outcome.object.spec as { template: unknown }).template;
  return `In a cluster, the webhook turns deploy/examples/going.yaml's pod template into:\n\n${stringify(template)}\n`;
}
