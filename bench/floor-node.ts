// The floor for the webhook comparison: the least a Node HTTPS server does to answer an
// AdmissionReview: node:https with no framework, the body read and parsed as JSON, an empty
// patch written back, on the same certificate and TLS versions as the webhook. The difference
// between it and `logward webhook` is everything Logward adds: fastify, the decision, the
// patch, its log line and its metrics.
//
//   node bench/floor-node.ts --cert FILE --key FILE    (prints {"port":N} once listening)
import { parseArgs } from 'node:util';
import { serveFloor } from './floor-server.ts';

const { values } = parseArgs({ options: { cert: { type: 'string' }, key: { type: 'string' } } });
const EMPTY_PATCH = Buffer.from('[]').toString('base64');

serveFloor({ cert: values.cert!, key: values.key! }, (body) => {
  let review: { request?: { uid?: string } };
  try {
    review = JSON.parse(body.toString());
  } catch {
    return undefined;
  }
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: {
      uid: review.request?.uid ?? '',
      allowed: true,
      patchType: 'JSONPatch',
      patch: EMPTY_PATCH,
    },
  };
});
