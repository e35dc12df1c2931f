// What one admission server lets a connection cost. The API server sends a review in one burst
// over a connection it reuses, and gives up after the webhook's timeoutSeconds (at most 30s);
// anything slower or larger than it can be is a misbehaving client, and must not make the
// replica buffer, wait or crash (a crashed replica is every pod admitted without Logward).

const MiB = 1024 * 1024;

// kube-apiserver refuses request bodies over 3 MiB and etcd stores objects up to 1.5 MiB. A
// review carries the object as JSON after defaulting and earlier webhooks, which for a request
// sent as protobuf can be about twice the wire size: 6 MiB holds the JSON of any object the API
// server can admit. A pod CREATE review carries one object; an UPDATE of a workload carries the
// object and the old one. Each gets 64 KiB for the envelope (userInfo, options).
const OBJECT_JSON = 6 * MiB;
const ENVELOPE = 64 * 1024;

export interface ServerLimits {
  /** POST /mutate (Pod CREATE: `object` only). */
  mutateBodyBytes: number;
  /** POST /validate (workload CREATE or UPDATE: `object` and `oldObject`). */
  validateBodyBytes: number;
  /**
   * Bodies up to this size are served as they come: reviews of ordinary pods are a few KiB, so
   * they never wait for room that large bodies hold.
   */
  smallBodyBytes: number;
  /**
   * All larger bodies in flight share this many bytes; a request whose Content-Length does not
   * fit gets a 503 at once (the API server applies failurePolicy) instead of being buffered.
   * Bounds what clients that never finish their bodies can make a replica hold.
   */
  largeBodiesBytes: number;
  /** Requests in flight, from their first byte to their answer; above it, a 503 at once. */
  concurrentRequests: number;
  /** Open connections, idle ones included (the API server keeps a few per replica). */
  connections: number;
  /** TLS handshake, then request headers, then the whole request, each within these. */
  handshakeTimeoutMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** An idle kept-alive connection is closed after this; Go's client reuses them for 90s. */
  keepAliveTimeoutMs: number;
  /** How often Node checks the header and request timeouts of open connections. */
  timeoutCheckIntervalMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  mutateBodyBytes: OBJECT_JSON + ENVELOPE,
  validateBodyBytes: 2 * OBJECT_JSON + ENVELOPE,
  smallBodyBytes: 256 * 1024,
  // Two of the largest pod reviews, or dozens of merely large ones. The built webhook idles at
  // about 80 MiB, with or without cluster credentials, and stays under 128 MiB at 1,000
  // reviews/s (npm run bench) and whatever slow clients do (webhook/slow-clients.test.ts): well
  // within the Deployment's 256Mi limit.
  largeBodiesBytes: 16 * MiB,
  // A review is about a millisecond of CPU: 64 at once is far more than an API server sends one
  // replica, and what 64 slow clients can hold is bounded by the sizes above.
  concurrentRequests: 64,
  connections: 512,
  handshakeTimeoutMs: 5_000,
  headersTimeoutMs: 5_000,
  // The API server writes a review in milliseconds; 10s is generous and well under the 30s it
  // waits at most, so a stalled client holds its share for a bounded time.
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 95_000,
  timeoutCheckIntervalMs: 1_000,
};
