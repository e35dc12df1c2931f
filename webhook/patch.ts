import fastJsonPatch, { type Operation } from 'fast-json-patch';

/**
 * The JSON Patch that turns `original` into `mutated`, diffed rather than written by hand
 * (as controller-runtime's PatchResponseFromRaw does), so it cannot disagree with the object
 * we tested. kube-apiserver applies it with evanphx/json-patch, which rejects a `replace` of a
 * missing key and, in v4, an index of `-1`; our mutation only appends, so the diff must consist of
 * `add` operations alone. Anything else is a bug on our side, refused here rather than sent, since
 * a bad patch blocks pod creation even under failurePolicy Ignore.
 */
export function diffPatch(original: object, mutated: object): Operation[] {
  // Both sides are plain JSON data (the review was parsed from JSON; our additions are plain
  // objects); the diff skips keys whose value is undefined, and sending drops them.
  const operations = fastJsonPatch.compare(original, mutated);
  const foreign = operations.find((op) => op.op !== 'add' || op.path.endsWith('/-'));
  if (foreign) throw new Error(`refusing to send a non-append patch operation: ${JSON.stringify(foreign)}`);
  return operations;
}
