// The sidecar image's JavaScript: the CLI that `tsc -p tsconfig.build.json` emitted, bundled by
// rolldown into a few files. Every ES module a process loads stays in memory as a module record,
// its source text and its functions' metadata, and the 57 modules `logward sidecar` loads cost
// about 1 MiB resident in every pod that one bundle does not (docs/benchmarks.md, Footprint).
// The other commands' code goes into chunks loaded only when they run; packages from
// node_modules and Node's built-ins stay imports.
//
//   node sidecar/bundle.ts [DIST [OUT]]   DIST: tsc's output (dist); OUT: DIST/sidecar-image
//
// OUT/cli/logward.js is the entry. Modules that find files next to themselves (base/version.ts:
// ../package.json; sidecar/extents.ts: ./native/logward-extents) then look next to OUT/cli.
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'rolldown';

/** Bundles `dist`'s cli/logward.js into `out`/cli; returns the entry's path. */
export async function bundleSidecar(dist: string, out = join(dist, 'sidecar-image')): Promise<string> {
  const cli = join(out, 'cli');
  rmSync(cli, { recursive: true, force: true });
  await build({
    input: join(dist, 'cli', 'logward.js'),
    platform: 'node',
    // Only our own modules: a bare specifier is a built-in or an installed package.
    external: [/^[^./]/],
    logLevel: 'warn',
    output: {
      dir: cli,
      format: 'esm',
      entryFileNames: '[name].js',
      chunkFileNames: '[name]-[hash].js',
    },
  });
  return join(cli, 'logward.js');
}

if (import.meta.main) {
  const [dist = 'dist', out] = process.argv.slice(2);
  const entry = await bundleSidecar(resolve(dist), out && resolve(out));
  process.stdout.write(`${entry}\n`);
}
