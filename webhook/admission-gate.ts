import type { ServerLimits } from './limits.ts';

export type Entry = { ok: true; release(): void } | { ok: false; status: 411 | 503; message: string };

/**
 * Counts the requests in flight and the bytes their large bodies may hold, and turns away what
 * would exceed either before a byte of body is read (see limits.ts for the sizes). Each admitted
 * request calls `release` once, when its response is done or its connection is gone.
 */
export function createAdmissionGate(limits: ServerLimits) {
  let inFlight = 0;
  let largeBytes = 0;
  return {
    enter(headers: { 'content-length'?: string; 'transfer-encoding'?: string }): Entry {
      if (headers['transfer-encoding'] !== undefined) {
        return {
          ok: false,
          status: 411,
          message: 'send the review with a Content-Length (the API server does), not chunked',
        };
      }
      if (inFlight >= limits.concurrentRequests) {
        return {
          ok: false,
          status: 503,
          message: `${inFlight} reviews are in flight, the most this replica takes at once; retry`,
        };
      }
      const length = Number(headers['content-length'] ?? 0);
      // A body over the route's limit is refused by the route with a 413 before it is read.
      const reserved = length > limits.smallBodyBytes ? Math.min(length, limits.validateBodyBytes) : 0;
      if (reserved > 0 && largeBytes + reserved > limits.largeBodiesBytes) {
        return {
          ok: false,
          status: 503,
          message: `large reviews in flight hold ${largeBytes} of the ${limits.largeBodiesBytes} bytes this replica buffers; retry`,
        };
      }
      inFlight++;
      largeBytes += reserved;
      let released = false;
      return {
        ok: true,
        release() {
          if (released) return;
          released = true;
          inFlight--;
          largeBytes -= reserved;
        },
      };
    },
    /** For tests and metrics: what is held now. */
    held: () => ({ inFlight, largeBytes }),
  };
}
