import type { Operation } from 'fast-json-patch';

/**
 * The JSON Patch that turns `original` into `mutated`, diffed rather than written by hand
 * (as controller-runtime's PatchResponseFromRaw does), so it cannot disagree with the object
 * we tested. kube-apiserver applies it with evanphx/json-patch, which rejects a `replace` of a
 * missing key and, in v4, an index of `-1`. Our mutation appends, and overwrites one value that
 * exists (a stray `logward.io/status`), so the diff holds `add` operations and `replace`
 * operations of keys present in `original`. A removal is a bug on our side, refused here rather
 * than sent.
 *
 * The diff is fast-json-patch's `compare` (same operations, same order; patch.test.ts holds it
 * to that) without its two costs, which were a fifth of a review's: it walks into what the two
 * objects share (mutate.ts copies only the way to each change, so that is skipped by identity),
 * and it deep-copies every value it adds (here they are referenced: the caller serialises the
 * patch once, and nothing changes the mutated object afterwards).
 */
export function diffPatch(original: object, mutated: object): Operation[] {
  const operations: Operation[] = [];
  diff(original as Json, mutated as Json, '', operations);
  return operations;
}

type Json = Record<string, unknown> | unknown[];

function diff(before: Json, after: Json, path: string, operations: Operation[]): void {
  if (before === after) return;
  const was = before as Record<string, unknown>;
  const is = after as Record<string, unknown>;
  const oldKeys = Object.keys(before);
  const newKeys = Object.keys(after);
  // Changes to existing keys first, last key first, then additions in order: compare's order.
  for (let i = oldKeys.length - 1; i >= 0; i--) {
    const key = oldKeys[i]!;
    const oldValue = was[key];
    const newValue = is[key];
    // Most keys hold what they held: nothing to say, and no pointer to build for them.
    if (oldValue === newValue && (newValue !== undefined || Object.hasOwn(after, key))) continue;
    const at = `${path}/${pointerSegment(key)}`;
    // An object key set to undefined is gone once serialised; an array keeps its place (null).
    if (
      !Object.hasOwn(after, key) ||
      (newValue === undefined && oldValue !== undefined && !Array.isArray(after))
    )
      throw new Error(`refusing to send a patch that removes ${at}: Logward's mutation only adds`);
    if (isContainer(oldValue) && isContainer(newValue) && Array.isArray(oldValue) === Array.isArray(newValue))
      diff(oldValue, newValue, at, operations);
    // (An array element set to undefined serialises as null.)
    else operations.push({ op: 'replace', path: at, value: newValue ?? null });
  }
  if (newKeys.length === oldKeys.length) return;
  for (const key of newKeys) {
    if (!Object.hasOwn(before, key) && is[key] !== undefined)
      operations.push({ op: 'add', path: `${path}/${pointerSegment(key)}`, value: is[key] });
  }
}

function isContainer(value: unknown): value is Json {
  return typeof value === 'object' && value !== null;
}

/** RFC 6901: `~` and `/` in a key are written `~0` and `~1` (annotation keys have a `/`). */
function pointerSegment(key: string): string {
  return key.includes('/') || key.includes('~') ? key.replace(/~/g, '~0').replace(/\//g, '~1') : key;
}
