import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Admitted } from './admit.ts';
import { type AdmissionRequest, allowed, patched } from './review.ts';
import { reviewedLine } from './reviewed-line.ts';

function lines(level = 'info') {
  const written: Record<string, unknown>[] = [];
  const log = pino(
    { level, base: { component: 'webhook' } },
    { write: (line: string) => written.push(JSON.parse(line)) },
  );
  return { line: reviewedLine(log), written };
}

const object = Object.freeze({ metadata: Object.freeze({ generateName: 'web-6d4b-' }) });
const request = (uid: string, over: Partial<AdmissionRequest> = {}): AdmissionRequest => ({
  uid,
  kind: { group: '', version: 'v1', kind: 'Pod' },
  namespace: 'shop',
  operation: 'CREATE',
  object,
  ...over,
});
// As template-answers.ts hands a template's answer to each replica: one frozen verdict, copies around it.
const injected: Admitted = {
  verdict: Object.freeze(patched([{ op: 'add', path: '/spec/volumes/-', value: { name: 'logs' } }])),
  outcome: 'injected',
  notes: ['a note'],
};

const expectedFields = {
  level: 30,
  component: 'webhook',
  route: 'mutate',
  namespace: 'shop',
  kind: 'Pod',
  operation: 'CREATE',
  name: 'web-6d4b-',
  dryRun: false,
  outcome: 'injected',
  notes: ['a note'],
  msg: 'reviewed',
};

describe('the reviewed line', () => {
  it("gives each of a template's replicas the whole line, with its own uid and request id", () => {
    const { line, written } = lines();
    line('req-1', 'mutate', request('aaaa-1'), { ...injected });
    line('req-2', 'mutate', request('bbbb-2'), { ...injected });
    expect(written).toEqual([
      { ...expectedFields, time: expect.any(Number), reqId: 'req-1', uid: 'aaaa-1' },
      { ...expectedFields, time: expect.any(Number), reqId: 'req-2', uid: 'bbbb-2' },
    ]);
  });

  it('says what this review was when the same verdict comes with another request or outcome', () => {
    const { line, written } = lines();
    line('req-1', 'mutate', request('aaaa-1'), { ...injected });
    line('req-2', 'mutate', request('bbbb-2', { namespace: 'other', dryRun: true }), { ...injected });
    line('req-3', 'mutate', request('cccc-3'), { ...injected, outcome: 'tolerated', notes: undefined });
    expect(written.map(({ namespace, dryRun, outcome }) => ({ namespace, dryRun, outcome }))).toEqual([
      { namespace: 'shop', dryRun: false, outcome: 'injected' },
      { namespace: 'other', dryRun: true, outcome: 'injected' },
      { namespace: 'shop', dryRun: false, outcome: 'tolerated' },
    ]);
  });

  it('writes skipped reviews at debug only, and a verdict nobody shares as it is', () => {
    const { line, written } = lines('info');
    line('req-1', 'mutate', request('aaaa-1'), {
      verdict: allowed(),
      outcome: 'skipped',
      reasons: ['not_opted_in'],
    });
    expect(written).toEqual([]);
    const debug = lines('debug');
    debug.line('req-1', 'mutate', request('aaaa-1'), {
      verdict: allowed(),
      outcome: 'skipped',
      reasons: ['not_opted_in'],
    });
    expect(debug.written).toEqual([
      expect.objectContaining({
        level: 20,
        uid: 'aaaa-1',
        outcome: 'skipped',
        reasons: [expect.any(String)],
      }),
    ]);
  });
});
