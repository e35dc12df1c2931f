// `node bench/scale.ts [--files 100000]`: the sidecar on a directory of many files. Measures the
// scan and the (pure) plan in this process, then runs the sidecar as its image does (JavaScript
// of `npm run build:sidecar`, the image's node flags) for a --dry-run, and as the service through
// its first pass (a backlog of 82,000 actions), with wall time and peak resident memory against
// the default memory limit. Targets: the plan of 100,000 files under 2 s; the pass
// within the limit. Printed, not asserted (test/sidecar/scale.test.ts asserts that the plan fits
// the heap at all).
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, utimesSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BUILTIN_DEFAULTS, KEYS } from '../contract/keys.ts';
import { parsePolicy } from '../contract/policy.ts';
import { parseQuantity } from '../contract/quantity.ts';
import { realFs } from '../sidecar/fs.ts';
import { planPass } from '../sidecar/plan.ts';
import { scan } from '../sidecar/scan.ts';
import { buildImageForm, imageEnv, imageNodeFlags } from './image-form.ts';
import { memory } from './procfs.ts';

const { values } = parseArgs({ options: { files: { type: 'string', default: '100000' } } });
const FILES = Number(values.files);
const DAY = 86_400_000;
const MI = 2 ** 20;
// The webhook's default memory limit for the sidecar.
const LIMIT = parseQuantity(BUILTIN_DEFAULTS[KEYS.sidecarMemoryLimit] ?? '') ?? 160 * MI;
// The image's ENTRYPOINT flags (Dockerfile.sidecar); its ENV too, below.
const IMAGE_HEAP = imageNodeFlags();
const log = (line: string) => process.stdout.write(`${line}\n`);

/** Half one long stream (logback's `app.<day>.<n>.log`), half unique names, over twenty days. */
function populate(dir: string): void {
  const now = Date.now();
  for (let i = 0; i < FILES; i++) {
    const ageMs = Math.floor((i / FILES) * 20 * DAY);
    const day = new Date(now - ageMs).toISOString().slice(0, 10);
    const path = join(dir, i % 2 === 0 ? `app.${day}.${i}.log` : `job-${i.toString(16)}.log`);
    const fd = openSync(path, 'w');
    writeSync(fd, `line ${i}\n`);
    closeSync(fd);
    utimesSync(path, new Date(now - ageMs), new Date(now - ageMs));
  }
}

/**
 * The sidecar from the image's JavaScript; wall time and peak RSS sampled from /proc. With
 * `until`, a long-running sidecar is stopped (SIGTERM) once a log line contains it.
 */
async function runImageForm(
  entry: string,
  args: string[],
  until?: string,
): Promise<{ code: number | null; ms: number; peak: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [...IMAGE_HEAP, entry, 'sidecar', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...imageEnv() },
  });
  // The last of its log, to say why if it fails.
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    if (until && text.includes(until)) child.kill('SIGTERM');
    stderr = (stderr + text).slice(-2000);
  });
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, memory(child.pid!).hwm);
  }, 20);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearInterval(timer);
  if (code !== 0) log(stderr);
  return { code, ms: performance.now() - started, peak };
}

const work = mkdtempSync(join(tmpdir(), 'logward-scale-'));
try {
  const dir = join(work, 'logs');
  mkdirSync(dir);
  let started = performance.now();
  populate(dir);
  log(`${FILES} files written in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const parsed = parsePolicy({ [KEYS.logDir]: dir });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  started = performance.now();
  const scanned = await scan(dir, parsed.policy, realFs);
  const scanMs = performance.now() - started;
  started = performance.now();
  const planned = planPass(scanned.files, parsed.policy, Date.now(), { otherBytes: scanned.otherBytes });
  const planMs = performance.now() - started;
  log(
    `scan ${scanMs.toFixed(0)} ms, plan ${planMs.toFixed(0)} ms (target: plan under 2000 ms): ${planned.actions.length} actions, ${planned.deferred} for later rounds`,
  );

  // The image form: the bundled JavaScript of `npm run build:sidecar`, and the helper next to it.
  const entry = buildImageForm(join(work, 'dist'), log);
  const common = ['--dir', dir, '--size-limit', '1Gi', '--metrics-port', '0'];
  const modes: [string, string[], string | undefined][] = [
    ['--dry-run', ['--dry-run'], undefined],
    // The service: its watcher as well as the first pass through the backlog.
    ['service, first pass', [], '"msg":"sweep"'],
  ];
  for (const [label, args, until] of modes) {
    const result = await runImageForm(entry, [...common, ...args], until);
    log(
      `image form, ${label}: exit ${result.code}, ${(result.ms / 1000).toFixed(1)} s, peak RSS ${(result.peak / MI).toFixed(0)} MiB of the ${LIMIT / MI} MiB limit`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
