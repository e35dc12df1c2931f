// What the node:https floors of the webhook comparison share, so that they differ only in how
// they answer: a server on the webhook's certificate and TLS versions that reads a request's
// body whole and writes the answer as JSON (400 where there is none), listening on a free
// port of 127.0.0.1 and printing {"port":N} once it does.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** The AdmissionReview to answer with, or undefined for a body that holds none. */
type Answer = object | undefined;

export function serveFloor(
  tls: { cert: string; key: string },
  answer: (body: Buffer) => Answer | Promise<Answer>,
): void {
  const server = createServer(
    { cert: readFileSync(tls.cert), key: readFileSync(tls.key), minVersion: 'TLSv1.2' },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const send = (review: Answer) => {
          if (review === undefined) {
            res.writeHead(400).end();
            return;
          }
          const body = JSON.stringify(review);
          res
            .writeHead(200, {
              'content-type': 'application/json; charset=utf-8',
              'content-length': Buffer.byteLength(body),
            })
            .end(body);
        };
        // The plain floor answers at once: no promise, so it pays for no extra tick.
        const answered = answer(Buffer.concat(chunks));
        if (answered instanceof Promise) void answered.then(send);
        else send(answered);
      });
    },
  );
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
  });
  process.on('SIGTERM', () => server.close());
}
