import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { LocalhostTls } from '../test/support/certificates.ts';
import { type KubeClient, kubeClient } from './client.ts';

/** A request as a scripted API server saw it. */
export interface Seen {
  method: string;
  path: string;
  authorization: string | undefined;
  /** The common name of the client certificate, when one was presented and verified. */
  clientCn: string | undefined;
  contentType: string | undefined;
  userAgent: string | undefined;
  body: string;
}

export type Handler = (seen: Seen, res: ServerResponse) => void;

/**
 * A real HTTPS server answering as a test scripts it, standing in for kube-apiserver where a test
 * needs answers the real one gives only rarely (a 410, a token expiring, a watch cut short).
 * Client certificates signed by `tls.ca` are verified and their CN reported.
 */
export async function scriptedApiServer(
  tls: LocalhostTls,
  handler: Handler,
): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server: Server = createServer(
    {
      cert: tls.serving.cert,
      key: tls.serving.key,
      ca: tls.ca.cert,
      requestCert: true,
      rejectUnauthorized: false,
    },
    (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk) => chunks.push(chunk));
      req.on('end', () => {
        const socket = req.socket as TLSSocket;
        const peer = socket.authorized ? socket.getPeerCertificate() : undefined;
        const entry: Seen = {
          method: req.method ?? '',
          path: req.url ?? '',
          authorization: req.headers.authorization,
          clientCn: peer?.subject ? String(peer.subject.CN) : undefined,
          contentType: req.headers['content-type'],
          userAgent: req.headers['user-agent'],
          body: Buffer.concat(chunks).toString(),
        };
        seen.push(entry);
        handler(entry, res);
      });
    },
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A Status as the API server sends with an error. */
export function status(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message };
}

/** A client of the scripted API server at `url`, trusting the CA of `tls`. */
export function scriptedClient(url: string, tls: LocalhostTls): KubeClient {
  return kubeClient({
    server: url,
    source: 'test',
    apply: async (options) => {
      options.ca = tls.ca.cert;
    },
    refresh: () => {},
  });
}

/** Polls `check` until it holds, or fails naming `what`: a watch's effect shows up when it does. */
export async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
