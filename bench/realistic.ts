// Realistic application log lines, deterministic for a seed: JSON access and app logs with
// timestamps, ids, paths, latencies and the odd stack trace, so compression ratios resemble
// production logs rather than the 100x of repeated padding.

const LEVELS = ['info', 'info', 'info', 'info', 'debug', 'warn', 'error'] as const;
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'] as const;
const PATHS = [
  '/api/v1/orders',
  '/api/v1/orders/{id}',
  '/api/v1/customers/{id}/cart',
  '/api/v1/catalog/search',
  '/healthz',
  '/api/v2/payments/{id}/capture',
  '/static/app.{id}.js',
] as const;
const MESSAGES = [
  'request completed',
  'cache miss, loading from database',
  'payment provider responded',
  'retrying after upstream timeout',
  'order state changed',
  'slow query',
] as const;
const AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'okhttp/4.12.0',
  'kube-probe/1.30',
  'python-requests/2.31.0',
] as const;

/** A small, fast, seedable PRNG (mulberry32). */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)]!;
}

function hex(next: () => number, length: number): string {
  let out = '';
  while (out.length < length)
    out += Math.floor(next() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return out.slice(0, length);
}

/** One line (with its newline) at `time` ms since the epoch. */
export function logLine(next: () => number, time: number): string {
  const level = pick(next, LEVELS);
  const id = String(Math.floor(next() * 10_000_000));
  const path = pick(next, PATHS).replace('{id}', id);
  const entry: Record<string, unknown> = {
    time: new Date(time).toISOString(),
    level,
    msg: pick(next, MESSAGES),
    trace_id: hex(next, 32),
    span_id: hex(next, 16),
    method: pick(next, METHODS),
    path,
    status: level === 'error' ? 500 : next() < 0.9 ? 200 : 404,
    duration_ms: Math.round(next() * next() * 2000 * 100) / 100,
    bytes: Math.floor(next() * 50_000),
    remote: `10.${Math.floor(next() * 256)}.${Math.floor(next() * 256)}.${Math.floor(next() * 256)}`,
    user_agent: pick(next, AGENTS),
  };
  if (level === 'error') {
    entry.error = 'upstream request failed: connect ETIMEDOUT';
    entry.stack = `Error: connect ETIMEDOUT\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1607:16)\n    at OrderService.capture (/app/dist/orders/service.js:${Math.floor(next() * 900)}:17)`;
  }
  return `${JSON.stringify(entry)}\n`;
}

/** About `bytes` of lines, starting at `start` ms and advancing a few ms per line. */
export function logText(bytes: number, seed = 1, start = Date.UTC(2024, 4, 1)): Buffer {
  const next = random(seed);
  const lines: string[] = [];
  let length = 0;
  let time = start;
  while (length < bytes) {
    time += Math.floor(next() * 5);
    const line = logLine(next, time);
    lines.push(line);
    length += line.length;
  }
  return Buffer.from(lines.join(''));
}
