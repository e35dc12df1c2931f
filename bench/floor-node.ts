// The floor for the webhook comparison: the least a Node HTTPS server does to answer an
// AdmissionReview: node:https with no framework, the body read and parsed as JSON, an empty
// patch written back, on the same certificate and TLS versions as the webhook. The difference
// between it and `logward webhook` is everything Logward adds: fastify, the decision, the
// patch, its log line and its metrics.
//
//   node bench/floor-node.ts --cert FILE --key FILE    (prints {"port":N} once listening)
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { cert: { type: 'string' }, key: { type: 'string' } } });
const EMPTY_PATCH = Buffer.from('[]').toString('base64');

const server = createServer(
  { cert: readFileSync(values.cert!), key: readFileSync(values.key!), minVersion: 'TLSv1.2' },
  (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let review: { request?: { uid?: string } };
      try {
        review = JSON.parse(Buffer.concat(chunks).toString());
      } catch {
        res.writeHead(400).end();
        return;
      }
      const body = JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        response: {
          uid: review.request?.uid ?? '',
          allowed: true,
          patchType: 'JSONPatch',
          patch: EMPTY_PATCH,
        },
      });
      res
        .writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(body),
        })
        .end(body);
    });
  },
);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => server.close());
