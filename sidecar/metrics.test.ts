import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createMetrics, serveMetrics } from './metrics.ts';

describe('serveMetrics', () => {
  it('answers /healthz from the health check and 404 elsewhere, on the port it reports', async () => {
    let healthy = true;
    const server = await serveMetrics(createMetrics(), 0, () => healthy);
    try {
      const ok = await fetch(`http://127.0.0.1:${server.port}/healthz`);
      expect([ok.status, await ok.text()]).toEqual([200, 'ok\n']);
      healthy = false;
      const failing = await fetch(`http://127.0.0.1:${server.port}/healthz`);
      expect([failing.status, await failing.text()]).toEqual([503, 'unhealthy\n']);
      expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('fails with EADDRINUSE when the port is taken, as listen() would', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      await expect(serveMetrics(createMetrics(), port, () => true)).rejects.toMatchObject({
        code: 'EADDRINUSE',
      });
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('does not load node:cluster (and child_process, dgram with it) to listen', async () => {
    // A fresh process: this one has loaded whatever vitest needs.
    const script = `
      const { createMetrics, serveMetrics } = await import(${JSON.stringify(new URL('./metrics.ts', import.meta.url).href)});
      const server = await serveMetrics(createMetrics(), 0, () => true);
      const answer = await fetch('http://127.0.0.1:' + server.port + '/healthz');
      await server.close();
      console.log(JSON.stringify({ status: answer.status, loaded: process.moduleLoadList }));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
    const { status, loaded } = JSON.parse(stdout) as { status: number; loaded: string[] };
    expect(status).toBe(200);
    expect(loaded).toContain('NativeModule http');
    expect(loaded.filter((m) => /^NativeModule (cluster|child_process|dgram)$/.test(m))).toEqual([]);
  });
});
