// Loaded into the webhook process by the end-to-end suite (`node --import`), never shipped: a
// bug on demand. Reviewing a Pod named `fault-injected` throws inside the webhook's answer (the
// diff that makes its patch lists the pod's keys), so the suite can watch what an internal error
// does to a real pod creation, without a seam in the product's code.
const keys = Object.keys;
Object.keys = function keysWithFault(object: object) {
  const pod = object as { kind?: string; metadata?: { name?: string } } | null;
  if (pod?.kind === 'Pod' && pod.metadata?.name === 'fault-injected') {
    throw new Error('fault injected by the end-to-end suite');
  }
  return keys(object);
} as typeof Object.keys;
