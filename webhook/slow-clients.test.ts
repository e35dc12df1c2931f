import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalhostTls, localhostTls } from '../test/support/certificates.ts';
import { buildJavaScript, startWebhook, type WebhookProcess } from '../test/support/webhook-process.ts';

// A client that opens a review and never finishes its body, fifty times over, against the real
// process over real TLS: what a broken or hostile client can make one replica hold.

const MiB = 1024 * 1024;
const SLOW_CLIENTS = 50;
// Within what the API server can send for a pod (and within the 8 MiB the webhook once took),
// so each slow body is one the webhook must consider rather than refuse outright for its size.
const DECLARED = 6 * MiB;

let tls: LocalhostTls;
let webhook: WebhookProcess;
beforeAll(async () => {
  tls = await localhostTls('logward-slow-');
  // The JavaScript the image runs, as the image runs it: memory is what this test is about.
  const cli = await buildJavaScript(join(tls.dir, 'dist'));
  webhook = await startWebhook(
    [
      `--tls-cert=${tls.serving.certFile}`,
      `--tls-key=${tls.serving.keyFile}`,
      '--port=0',
      '--metrics-port=0',
    ],
    // No cluster credentials: the process holds what serving reviews takes, and nothing else.
    { KUBECONFIG: '', HOME: tls.dir },
    30_000,
    cli,
  );
}, 120_000);
afterAll(async () => {
  await webhook?.stop();
  await tls?.remove();
});

function rss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** POST a review over a fresh connection; resolves with the status and the parsed answer. */
function review(port: number, body: Buffer): Promise<{ status: number; answer: { response?: unknown } }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/mutate',
        method: 'POST',
        ca: tls.ca.cert,
        agent: false,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, answer: JSON.parse(Buffer.concat(chunks).toString()) }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface SlowClient {
  socket: TLSSocket;
  sent: number;
  answer(): string;
}

/** Declares a large body, pushes it as fast as the server takes it, and never sends the last byte. */
async function slowClient(port: number): Promise<SlowClient> {
  const socket = connect({ host: '127.0.0.1', port, ca: tls.ca.cert, servername: 'localhost' });
  socket.on('error', () => {}); // the server may close it: that is one of the outcomes
  await once(socket, 'secureConnect');
  let answer = '';
  socket.on('data', (chunk) => {
    answer += chunk;
  });
  socket.write(
    `POST /mutate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${DECLARED}\r\n\r\n{"padding":"`,
  );
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let sent = 0;
  while (sent + chunk.length < DECLARED - 16 && !socket.destroyed && answer === '') {
    sent += chunk.length;
    if (!socket.write(chunk)) {
      // Pushed back: the server is not reading (or not yet). Hold here, as a stalled client would.
      if (!(await drained(socket, 500))) break;
    }
  }
  return { socket, sent, answer: () => answer };
}

/** True once `socket` drains; false if it closes or `ms` pass first. */
function drained(socket: TLSSocket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (result: boolean) => {
      clearTimeout(timer);
      socket.off('drain', onDrain);
      socket.off('close', onClose);
      resolve(result);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    const timer = setTimeout(() => done(false), ms);
    socket.once('drain', onDrain);
    socket.once('close', onClose);
  });
}

describe('the webhook under clients that never finish their body', () => {
  it(`keeps memory under 128 MiB with ${SLOW_CLIENTS} of them, and still answers an ordinary review`, async () => {
    const body = readFileSync(new URL('./fixtures/pod-review.json', import.meta.url));
    expect((await review(webhook.port, body)).status).toBe(200); // warm
    const idle = rss(webhook.pid);
    let peak = idle;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rss(webhook.pid));
    }, 10);
    let clients: SlowClient[] = [];
    try {
      clients = await Promise.all(Array.from({ length: SLOW_CLIENTS }, () => slowClient(webhook.port)));
      // Let the server take what it will take, then ask as the API server would.
      await sleep(1_000);
      const started = performance.now();
      const ordinary = await review(webhook.port, body);
      const latencyMs = performance.now() - started;
      peak = Math.max(peak, rss(webhook.pid));
      const metrics = await (await fetch(`http://127.0.0.1:${webhook.opsPort}/metrics`)).text();
      const turnedAway = Number(
        /^logward_webhook_turned_away_total\{status="503"\} (\d+)$/m.exec(metrics)?.[1] ?? 0,
      );
      // Timings are printed, not asserted: the machine is shared.
      console.log(
        `slow clients: ${SLOW_CLIENTS} declared ${DECLARED / MiB} MiB each and sent ${(
          clients.reduce((sum, c) => sum + c.sent, 0) / MiB
        ).toFixed(0)} MiB in all; ${turnedAway} turned away with a 503; webhook RSS ${(idle / MiB).toFixed(
          0,
        )} MiB idle, ${(peak / MiB).toFixed(0)} MiB peak; an ordinary review answered in ${latencyMs.toFixed(1)} ms`,
      );
      expect(ordinary.status).toBe(200);
      expect(ordinary.answer.response).toMatchObject({ allowed: true, patchType: 'JSONPatch' });
      expect(peak).toBeLessThan(128 * MiB);
      // Room for two bodies of this size at once: the rest were turned away before being read.
      expect(turnedAway).toBeGreaterThanOrEqual(SLOW_CLIENTS - 3);
    } finally {
      clearInterval(sampler);
      for (const client of clients) client.socket.destroy();
    }
  }, 60_000);

  it('answers 408 and closes a connection that holds its body past the request timeout', async () => {
    const client = await slowClient(webhook.port);
    const closed =
      client.socket.destroyed ||
      (await Promise.race([once(client.socket, 'close').then(() => true), sleep(25_000).then(() => false)]));
    client.socket.destroy();
    expect(closed).toBe(true);
    expect(client.answer()).toMatch(/^HTTP\/1\.1 408 /);
  }, 30_000);
});
