// The sidecar as its image runs it: the bundled JavaScript of `npm run build:sidecar`, the
// native helper next to it, started with the node flags of Dockerfile.sidecar's ENTRYPOINT,
// and environment, read from the Dockerfile so that the benchmarks measure what ships.

import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

const repo = new URL('..', import.meta.url).pathname;

/** The node flags of the sidecar image's ENTRYPOINT (`--max-old-space-size=...` and the like). */
export function imageNodeFlags(): string[] {
  const dockerfile = readFileSync(join(repo, 'Dockerfile.sidecar'), 'utf8');
  const entrypoint = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile);
  if (!entrypoint) throw new Error('Dockerfile.sidecar: no ENTRYPOINT in exec form');
  return (JSON.parse(entrypoint[1]!) as string[]).filter((arg) => arg.startsWith('--'));
}

/** The environment the sidecar image sets (its `ENV` lines: glibc's malloc tunables). */
export function imageEnv(): Record<string, string> {
  const dockerfile = readFileSync(join(repo, 'Dockerfile.sidecar'), 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const [, name, value] of runtime.matchAll(/^ENV\s+([A-Za-z_][A-Za-z0-9_]*)=(\S+)\s*$/gm))
    env[name!] = value!;
  return env;
}

/**
 * Builds the image's JavaScript into `dir` as Dockerfile.sidecar does (`npm run build:sidecar`:
 * tsc, then the bundle of sidecar/bundle.ts) and returns the entry point (cli/logward.js).
 * `log` hears when the native helper could not be built (holes are then guessed).
 */
export function buildImageForm(dir: string, log: (line: string) => void = () => {}): string {
  const emitted = join(dir, 'tsc');
  const tsc = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', emitted], { cwd: repo });
  if (tsc.status !== 0) throw new Error(`tsc: ${tsc.stdout}${tsc.stderr}`);
  const bundle = spawnSync(process.execPath, [join(repo, 'sidecar/bundle.ts'), emitted, dir], {
    encoding: 'utf8',
  });
  if (bundle.status !== 0) throw new Error(`bundle-sidecar: ${bundle.stdout}${bundle.stderr}`);
  copyFileSync(join(repo, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
  const helper = spawnSync('sh', [
    join(repo, 'sidecar/native/build.sh'),
    join(dir, 'cli/native/logward-extents'),
  ]);
  if (helper.status !== 0) log(`logward-extents not built (${helper.stderr}); holes are guessed`);
  return join(dir, 'cli/logward.js');
}
