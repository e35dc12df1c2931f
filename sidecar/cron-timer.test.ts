import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseCron } from '../contract/cron.ts';
import { everyCronTime } from './cron-timer.ts';

function schedule(expression: string) {
  const parsed = parseCron(expression);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.schedule;
}

describe('everyCronTime', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date(2024, 4, 1, 10, 0, 20, 250));
  });
  afterEach(() => vi.useRealTimers());

  it('fires at each time the schedule names, not before', () => {
    const fired: string[] = [];
    const timer = everyCronTime(schedule('* * * * *'), () =>
      fired.push(new Date().toTimeString().slice(0, 8)),
    );
    vi.advanceTimersByTime(39_000);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(3 * 60_000);
    expect(fired).toEqual(['10:01:00', '10:02:00', '10:03:00']);
    timer.stop();
  });

  it('fires no more once stopped', () => {
    let fired = 0;
    const timer = everyCronTime(schedule('*/10 * * * * *'), () => fired++);
    vi.advanceTimersByTime(30_000);
    expect(fired).toBe(3);
    timer.stop();
    vi.advanceTimersByTime(60_000);
    expect(fired).toBe(3);
  });

  it('reaches a time more than a timer can wait for (24.8 days) in steps', () => {
    let fired = 0;
    const timer = everyCronTime(schedule('0 0 1 7 *'), () => fired++);
    vi.advanceTimersByTime(60 * 86_400_000);
    expect(fired).toBe(0);
    vi.advanceTimersByTime(5 * 86_400_000);
    expect(fired).toBe(1);
    expect(vi.getTimerCount()).toBe(1);
    timer.stop();
  });
});
