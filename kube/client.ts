import type { IncomingMessage } from 'node:http';
import { Agent, request as httpsRequest, type RequestOptions } from 'node:https';
import { VERSION } from '../base/version.ts';
import type { KubeCredentials } from './credentials.ts';

// The few calls the webhook makes to the API server (owner GETs, the node list and watch, its
// TLS Secret, the caBundle patch, the version), over node:https with keep-alive. It replaces
// @kubernetes/client-node's generated API client, whose loading took the webhook 1 s or more of
// its start and about 80 MiB of its memory for these six requests.

/** An answer from the API server other than 2xx: its HTTP status, and its Status reason and message. */
export class KubeApiError extends Error {
  override name = 'KubeApiError';
  readonly status: number;
  readonly reason: string | undefined;
  constructor(status: number, reason: string | undefined, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH';

export interface RequestBody {
  body: unknown;
  /** `application/json` unless told, e.g. `application/json-patch+json` for a JSON Patch. */
  contentType?: string;
}

export interface KubeClient {
  /** Where credentials were found and the server they point at, for the start-up log. */
  readonly describe: string;
  /** One request; resolves with the decoded JSON answer, rejects with a KubeApiError or a network error. */
  request<T>(method: Method, path: string, body?: RequestBody): Promise<T>;
  /** A GET that answers undefined on 404: a missing object is an answer, not a failure. */
  read<T>(path: string): Promise<T | undefined>;
  /** A GET whose answer is text, not JSON (a pod's /metrics through the API server's proxy). */
  readText(path: string): Promise<string>;
  /**
   * A watch (`path` with `watch=true`): `onEvent` gets each event as it comes. Resolves when
   * the API server ends it or `signal` aborts it; rejects when it cannot start or breaks.
   */
  watch(
    path: string,
    onEvent: (type: string, object: Record<string, unknown>) => void,
    signal: AbortSignal,
  ): Promise<void>;
  /** Closes idle connections, so a stopping process is not held open by them. */
  close(): void;
}

export interface KubeClientOptions {
  /** Budget of one request, from sending it to the last byte of its answer. */
  timeoutMs?: number;
  /**
   * Who is asking, in the user agent (`logward-webhook/0.1.0`): what the API server's audit log
   * and its priority and fairness rules see of a client. The webhook by default.
   */
  component?: 'webhook' | 'status';
}

export function kubeClient(credentials: KubeCredentials, options: KubeClientOptions = {}): KubeClient {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const userAgent = `logward-${options.component ?? 'webhook'}/${VERSION}`;
  // A few connections, kept alive: owner lookups come in bursts when a rollout creates pods.
  const agent = new Agent({ keepAlive: true, maxSockets: 8, maxFreeSockets: 2 });

  /** Sends one request, retried once after a 401 with fresh credentials (a rotated token). */
  const send = async (
    method: Method | 'GET',
    path: string,
    body: RequestBody | undefined,
    timeout: number,
    signal?: AbortSignal,
  ): Promise<IncomingMessage> => {
    for (let attempt = 0; ; attempt++) {
      const response = await open(method, path, body, timeout, signal);
      if (response.statusCode !== 401 || attempt > 0) return response;
      response.resume();
      credentials.refresh();
    }
  };

  const open = async (
    method: string,
    path: string,
    body: RequestBody | undefined,
    timeout: number,
    signal?: AbortSignal,
  ): Promise<IncomingMessage> => {
    const url = new URL(credentials.server + path);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body.body));
    const options: RequestOptions = {
      method,
      agent,
      headers: {
        accept: 'application/json',
        'user-agent': userAgent,
        ...(payload
          ? { 'content-type': body?.contentType ?? 'application/json', 'content-length': payload.length }
          : {}),
      },
      ...(signal ? { signal } : {}),
    };
    await credentials.apply(options);
    return await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpsRequest(url, options, resolve);
      // `timeout` is idleness on the socket; a watch is kept alive by the API server's bookmarks.
      req.setTimeout(timeout, () =>
        req.destroy(new Error(`${method} ${path}: the API server did not answer within ${timeout}ms`)),
      );
      req.on('error', reject);
      req.end(payload);
    });
  };

  const request = async <T>(method: Method, path: string, body?: RequestBody): Promise<T> => {
    const response = await send(method, path, body, timeoutMs);
    const text = await readAll(response);
    const status = response.statusCode ?? 0;
    if (status < 200 || status >= 300) throw apiError(method, path, status, text);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };

  return {
    describe: `${credentials.source}, server ${credentials.server}`,
    request,
    async read<T>(path: string) {
      try {
        return await request<T>('GET', path);
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 404) return undefined;
        throw error;
      }
    },
    async readText(path) {
      const response = await send('GET', path, undefined, timeoutMs);
      const text = await readAll(response);
      const status = response.statusCode ?? 0;
      if (status < 200 || status >= 300) throw apiError('GET', path, status, text);
      return text;
    },
    async watch(path, onEvent, signal) {
      let response: IncomingMessage;
      try {
        // A watch with nothing to say stays silent until a bookmark; allow for that.
        response = await send('GET', path, undefined, 5 * 60_000, signal);
      } catch (error) {
        if (signal.aborted) return;
        throw error;
      }
      const status = response.statusCode ?? 0;
      if (status !== 200) throw apiError('GET', path, status, await readAll(response));
      let pending = '';
      response.setEncoding('utf8');
      try {
        for await (const chunk of response as AsyncIterable<string>) {
          pending += chunk;
          let newline = pending.indexOf('\n');
          while (newline >= 0) {
            const line = pending.slice(0, newline);
            pending = pending.slice(newline + 1);
            if (line.trim() !== '') {
              const event = JSON.parse(line) as { type: string; object: Record<string, unknown> };
              onEvent(event.type, event.object);
            }
            newline = pending.indexOf('\n');
          }
        }
      } catch (error) {
        if (signal.aborted) return;
        throw error;
      }
    },
    close: () => agent.destroy(),
  };
}

async function readAll(response: IncomingMessage): Promise<string> {
  response.setEncoding('utf8');
  let text = '';
  for await (const chunk of response as AsyncIterable<string>) text += chunk;
  return text;
}

/** `GET /api/v1/...: 403 Forbidden: secrets "x" is forbidden: User ...`: what, who and why. */
function apiError(method: string, path: string, status: number, text: string): KubeApiError {
  let reason: string | undefined;
  let message: string | undefined;
  try {
    ({ reason, message } = JSON.parse(text) as { reason?: string; message?: string });
  } catch {
    message = text.trim().slice(0, 200) || undefined;
  }
  return new KubeApiError(
    status,
    reason,
    `${method} ${path.split('?')[0]}: ${status}${reason ? ` ${reason}` : ''}${message ? `: ${message}` : ''}`,
  );
}
