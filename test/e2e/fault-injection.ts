// Loaded into the webhook process by the end-to-end suite (`node --import`), never shipped: a
// bug on demand. Reviewing a Pod named `fault-injected` throws inside the webhook's decision
// (its copy of the pod goes through JSON.stringify), so the suite can watch what an internal
// error does to a real pod creation, without a seam in the product's code.
const stringify = JSON.stringify;
JSON.stringify = function stringifyWithFault(this: unknown, value: unknown, ...rest: never[]) {
  const pod = value as { kind?: string; metadata?: { name?: string } } | null;
  if (pod?.kind === 'Pod' && pod.metadata?.name === 'fault-injected') {
    throw new Error('fault injected by the end-to-end suite');
  }
  return stringify.call(this, value, ...rest);
} as typeof JSON.stringify;
