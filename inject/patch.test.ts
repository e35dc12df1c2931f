import fc from 'fast-check';
import fastJsonPatch from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { diffPatch } from './patch.ts';
import { applyStrict, deepFreeze } from './testing.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * `original` with `edits` applied the way mutate.ts changes a pod: a copy of each object on the
 * way to a change, everything else shared. Each edit adds a key to an object, appends to an
 * array or replaces a scalar, at a place chosen by its number.
 */
function appendOnly(original: Json, edits: readonly { at: number; value: Json }[]): Json {
  let mutated = original;
  for (const { at, value } of edits) {
    const places: (string | number)[][] = [];
    const walk = (node: Json, path: (string | number)[]) => {
      places.push(path);
      if (node !== null && typeof node === 'object')
        for (const [key, child] of Object.entries(node))
          walk(child, [...path, Array.isArray(node) ? Number(key) : key]);
    };
    walk(mutated, []);
    const path = places[at % places.length]!;
    const change = (node: Json, rest: (string | number)[]): Json => {
      if (rest.length > 0) {
        const [head, ...tail] = rest;
        if (Array.isArray(node)) return node.map((child, i) => (i === head ? change(child, tail) : child));
        const object = node as Record<string, Json>;
        return { ...object, [head!]: change(object[head!]!, tail) };
      }
      if (Array.isArray(node)) return [...node, value];
      if (node !== null && typeof node === 'object') {
        let key = 'logward.io/added';
        while (key in node) key += '~';
        return { ...node, [key]: value };
      }
      return typeof node === 'string' ? `${node}!` : 'replaced';
    };
    mutated = change(mutated, path);
  }
  return mutated;
}

const json = fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Json>;
const document = fc.dictionary(fc.string({ maxLength: 6 }), json, { maxKeys: 6 }) as fc.Arbitrary<Json>;

describe('the patch', () => {
  it("is fast-json-patch's compare, operation for operation, for any append-only change", () => {
    fc.assert(
      fc.property(
        document,
        fc.array(fc.record({ at: fc.nat(), value: json }), { maxLength: 5 }),
        (original, edits) => {
          const mutated = appendOnly(deepFreeze(original), edits);
          const operations = diffPatch(original as object, mutated as object);
          // Compared as sent, JSON: fast-json-patch copies values through JSON, which has no -0.
          expect(JSON.parse(JSON.stringify(operations))).toEqual(
            fastJsonPatch.compare(original as object, mutated as object),
          );
          expect(JSON.stringify(applyStrict(original, operations))).toBe(JSON.stringify(mutated));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses to remove anything, naming the path', () => {
    expect(() =>
      diffPatch({ metadata: { annotations: { 'a/b': 'x' } } }, { metadata: { annotations: {} } }),
    ).toThrow(
      "refusing to send a patch that removes /metadata/annotations/a~1b: Logward's mutation only adds",
    );
    expect(() => diffPatch({ spec: { volumes: [1, 2] } }, { spec: { volumes: [1] } })).toThrow(
      'refusing to send a patch that removes /spec/volumes/1',
    );
    // A key set to undefined is gone once serialised, whether it held a value or already undefined.
    expect(() => diffPatch({ spec: { hostNetwork: true } }, { spec: { hostNetwork: undefined } })).toThrow(
      'refusing to send a patch that removes /spec/hostNetwork',
    );
    expect(() => diffPatch({ spec: { hostNetwork: undefined } }, { spec: {} })).toThrow(
      'refusing to send a patch that removes /spec/hostNetwork',
    );
    expect(diffPatch({ spec: { hostNetwork: undefined } }, { spec: { hostNetwork: undefined } })).toEqual([]);
  });
});
