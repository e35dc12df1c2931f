import { describe, expect, it } from 'vitest';
import { createAdmissionGate } from './admission-gate.ts';
import { DEFAULT_LIMITS } from './limits.ts';

const limits = { ...DEFAULT_LIMITS, concurrentRequests: 3, smallBodyBytes: 100, largeBodiesBytes: 1000 };

describe('the admission gate', () => {
  it('turns away requests beyond the concurrency cap until one is released', () => {
    const gate = createAdmissionGate(limits);
    const entries = [1, 2, 3].map(() => gate.enter({ 'content-length': '10' }));
    expect(entries.every((e) => e.ok)).toBe(true);
    expect(gate.enter({ 'content-length': '10' })).toEqual({
      ok: false,
      status: 503,
      message: '3 reviews are in flight, the most this replica takes at once; retry',
    });
    if (entries[0]?.ok) entries[0].release();
    expect(gate.enter({ 'content-length': '10' }).ok).toBe(true);
  });

  it('shares a budget among large bodies only, so small ones always get through', () => {
    const gate = createAdmissionGate({ ...limits, concurrentRequests: 100 });
    const large = [gate.enter({ 'content-length': '600' }), gate.enter({ 'content-length': '400' })];
    expect(large.map((e) => e.ok)).toEqual([true, true]);
    expect(gate.enter({ 'content-length': '101' })).toMatchObject({ ok: false, status: 503 });
    expect(gate.enter({ 'content-length': '100' }).ok).toBe(true);
    expect(gate.held()).toEqual({ inFlight: 3, largeBytes: 1000 });
    if (large[0]?.ok) {
      large[0].release();
      large[0].release(); // twice is once
    }
    expect(gate.held()).toEqual({ inFlight: 2, largeBytes: 400 });
    expect(gate.enter({ 'content-length': '600' }).ok).toBe(true);
  });

  it('asks for a Content-Length instead of reading a chunked body of unknown size', () => {
    const gate = createAdmissionGate(limits);
    expect(gate.enter({ 'transfer-encoding': 'chunked' })).toMatchObject({ ok: false, status: 411 });
  });
});
