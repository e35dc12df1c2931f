import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// Layers only point down, read from the import statements themselves (static, `export from`
// and `import()`), so a backwards import fails here rather than in a reviewer's head.
//
//   cli ─► webhook ─► inject ─► contract ─► base
//      │       └─► kube ──────────────────┘
//      ├─► status ─► inject, kube
//      └─► demo ───┘     sidecar ─┘
//
// base/ is plumbing (errors, io, version) every layer may use; contract/ the annotation
// contract both halves read; inject/ the core that decides and builds an injection, shared by
// the webhook, `logward inject` and the demo; kube/ the small API server client the commands
// that talk to a cluster share; cli/ the entry point that loads the commands.
// Tests are the top of the graph (they may import anything) and are not checked.

const ROOT = new URL('..', import.meta.url).pathname;

/** The folders each product folder may import, besides itself. */
const ALLOWED: Record<string, readonly string[]> = {
  base: [],
  contract: ['base'],
  inject: ['base', 'contract'],
  sidecar: ['base', 'contract'],
  kube: ['base'],
  webhook: ['base', 'contract', 'inject', 'kube'],
  demo: ['base', 'contract', 'inject', 'sidecar'],
  status: ['base', 'contract', 'inject', 'kube'],
  cli: ['base', 'demo', 'inject', 'sidecar', 'status', 'webhook'],
};

interface Edge {
  file: string;
  target: string;
}

function isTestModule(file: string): boolean {
  return /\.test\.ts$/.test(file) || /(^|\/)testing(\.ts$|\/)/.test(file);
}

/** Every relative import of the product's modules, with the file it resolves to. */
function productImports(): Edge[] {
  return Object.keys(ALLOWED).flatMap((folder) =>
    readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
      .map((name) => posix.join(folder, name))
      .filter((file) => file.endsWith('.ts') && !isTestModule(file))
      .flatMap((file) =>
        ts
          .preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true)
          .importedFiles.map((imported) => imported.fileName)
          .filter((specifier) => specifier.startsWith('.'))
          .map((specifier) => ({ file, target: posix.join(posix.dirname(file), specifier) })),
      ),
  );
}

const folderOf = (path: string) => path.split('/')[0]!;

/** A cycle in the folder graph, as a path that ends where it starts, or undefined. */
function findCycle(edges: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const done = new Set<string>();
  const visit = (node: string, path: string[]): string[] | undefined => {
    if (path.includes(node)) return [...path.slice(path.indexOf(node)), node];
    if (done.has(node)) return undefined;
    for (const next of edges.get(node) ?? []) {
      const cycle = visit(next, [...path, node]);
      if (cycle) return cycle;
    }
    done.add(node);
    return undefined;
  };
  for (const node of edges.keys()) {
    const cycle = visit(node, []);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('layers', () => {
  const edges = productImports();

  it('reads the imports it checks', () => {
    // A parser that found nothing would pass every rule below.
    expect(edges).toContainEqual({ file: 'webhook/admit.ts', target: 'inject/decide.ts' });
    expect(edges).toContainEqual({ file: 'cli/run.ts', target: 'webhook/command.ts' });
  });

  it('each folder imports only the folders below it', () => {
    const backwards = edges
      .filter(({ file, target }) => {
        const from = folderOf(file);
        const to = folderOf(target);
        return from !== to && !ALLOWED[from]!.includes(to);
      })
      .map(({ file, target }) => `${file} imports ${target}`);
    expect(backwards).toEqual([]);
  });

  it('no module under contract/, inject/, sidecar/ or webhook/ imports cli/', () => {
    const intoCli = edges
      .filter(({ file, target }) => folderOf(target) === 'cli' && folderOf(file) !== 'cli')
      .map(({ file, target }) => `${file} imports ${target}`);
    expect(intoCli).toEqual([]);
  });

  it('no cycle between folders, in the code or in the rules', () => {
    const graph = (pairs: [string, string][]) => {
      const map = new Map<string, Set<string>>();
      for (const [from, to] of pairs) if (from !== to) map.set(from, (map.get(from) ?? new Set()).add(to));
      return map;
    };
    expect(findCycle(graph(edges.map(({ file, target }) => [folderOf(file), folderOf(target)])))).toBe(
      undefined,
    );
    expect(
      findCycle(
        graph(
          Object.entries(ALLOWED).flatMap(([from, tos]) => tos.map((to) => [from, to] as [string, string])),
        ),
      ),
    ).toBe(undefined);
    // The cycle finder itself finds one.
    expect(
      findCycle(
        graph([
          ['a', 'b'],
          ['b', 'c'],
          ['c', 'a'],
        ]),
      ),
    ).toEqual(['a', 'b', 'c', 'a']);
  });

  it('commands are leaves: only cli/ loads a command module', () => {
    const intoCommands = edges
      .filter(({ file, target }) => target.endsWith('/command.ts') && folderOf(file) !== 'cli')
      .map(({ file, target }) => `${file} imports ${target}`);
    expect(intoCommands).toEqual([]);
  });
});
