import fastJsonPatch, { type Operation } from 'fast-json-patch';

/**
 * The JSON Patch that turns `original` into `mutated`, diffed rather than written by hand
 * (as controller-runtime's PatchResponseFromRaw does), so it cannot disagree with the object
 * we tested. kube-apiserver applies it with evanphx/json-patch, which rejects a `replace` of a
 * missing key and, in v4, an index of `-1`. Our mutation appends, and overwrites one value that
 * exists (a stray `logward.io/status`), so the diff holds `add` operations and `replace`
 * operations of keys present in `original`, which is all `compare` emits `replace` for. Anything
 * else is a bug on our side, refused here rather than sent.
 */
export function diffPatch(original: object, mutated: object): Operation[] {
  // Both sides are plain JSON data (the review was parsed from JSON; our additions are plain
  // objects); the diff skips keys whose value is undefined, and sending drops them.
  const operations = fastJsonPatch.compare(original, mutated);
  const foreign = operations.find((op) => (op.op !== 'add' && op.op !== 'replace') || op.path.endsWith('/-'));
  if (foreign)
    throw new Error(
      `refusing to send a patch operation that is not add or replace: ${JSON.stringify(foreign)}`,
    );
  return operations;
}
