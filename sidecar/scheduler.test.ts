import { describe, expect, it } from 'vitest';
import { createScheduler } from './scheduler.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function recorder(passMs: number) {
  const passes: string[][] = [];
  let running = 0;
  let maxRunning = 0;
  const run = async (reasons: ReadonlySet<string>) => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    passes.push([...reasons].sort());
    await sleep(passMs);
    running--;
  };
  return { run, passes, maxRunning: () => maxRunning };
}

describe('createScheduler', () => {
  it('turns a burst of triggers into one pass after the debounce', async () => {
    const r = recorder(1);
    const scheduler = createScheduler(r.run, { debounceMs: 20, onError: () => {} });
    for (let i = 0; i < 50; i++) scheduler.schedule(i % 2 ? 'a' : 'b');
    await scheduler.idle();
    expect(r.passes).toEqual([['a', 'b']]);
  });

  it('never overlaps passes and drains reasons that arrive during one', async () => {
    const r = recorder(30);
    const scheduler = createScheduler(r.run, { debounceMs: 1, onError: () => {} });
    scheduler.schedule('first');
    await sleep(10);
    scheduler.schedule('during');
    scheduler.schedule('during-too');
    await scheduler.idle();
    expect(r.passes).toEqual([['first'], ['during', 'during-too']]);
    expect(r.maxRunning()).toBe(1);
  });

  it('reports a failing pass and keeps scheduling', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const scheduler = createScheduler(
      async () => {
        calls++;
        if (calls === 1) throw new Error('boom');
      },
      { debounceMs: 1, onError: (error) => errors.push(error) },
    );
    scheduler.schedule('x');
    await scheduler.idle();
    scheduler.schedule('y');
    await scheduler.idle();
    expect(calls).toBe(2);
    expect(errors.map((e) => (e as Error).message)).toEqual(['boom']);
  });

  it('stop() waits for the running pass and drops pending ones', async () => {
    const r = recorder(40);
    const scheduler = createScheduler(r.run, { debounceMs: 1, onError: () => {} });
    scheduler.schedule('running');
    await sleep(10);
    scheduler.schedule('pending');
    const started = Date.now();
    await scheduler.stop();
    expect(Date.now() - started).toBeGreaterThanOrEqual(20);
    scheduler.schedule('after-stop');
    await sleep(20);
    expect(r.passes).toEqual([['running']]);
  });
});
