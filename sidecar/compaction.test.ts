import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CollectGarbage, compactWhenQuiet, exposedCollector } from './compaction.ts';

describe('compactWhenQuiet', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const collector = () => vi.fn<CollectGarbage>();

  it('collects once, with a compacting last-resort collection, after work and a quiet period', () => {
    const collect = collector();
    const compaction = compactWhenQuiet(collect, 5000);
    compaction.busy();
    compaction.settled(true);
    vi.advanceTimersByTime(4999);
    expect(collect).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(collect).toHaveBeenCalledExactlyOnceWith({
      type: 'major',
      execution: 'sync',
      flavor: 'last-resort',
    });
    vi.advanceTimersByTime(60_000);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('waits while work goes on: each pass starting puts the collection off', () => {
    const collect = collector();
    const compaction = compactWhenQuiet(collect, 5000);
    for (let pass = 0; pass < 10; pass++) {
      compaction.busy();
      compaction.settled(true);
      vi.advanceTimersByTime(3000);
    }
    expect(collect).not.toHaveBeenCalled();
    vi.advanceTimersByTime(2000);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('does not collect after passes that did nothing, but keeps a collection owed from before', () => {
    const collect = collector();
    const compaction = compactWhenQuiet(collect, 5000);
    compaction.settled(false);
    vi.advanceTimersByTime(60_000);
    expect(collect).not.toHaveBeenCalled();

    compaction.settled(true);
    vi.advanceTimersByTime(1000);
    // A quiet cron pass interrupts the wait: the collection is still owed after it.
    compaction.busy();
    compaction.settled(false);
    vi.advanceTimersByTime(5000);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('stop() cancels a pending collection and leaves no timer behind', () => {
    const collect = collector();
    const compaction = compactWhenQuiet(collect, 5000);
    compaction.settled(true);
    compaction.stop();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(60_000);
    expect(collect).not.toHaveBeenCalled();
  });

  it('does nothing, and arms no timer, without a collector (no --expose-gc)', () => {
    const compaction = compactWhenQuiet(undefined, 5000);
    compaction.settled(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('exposedCollector', () => {
  it('is the gc global when the process has one, else undefined', () => {
    const had = Object.getOwnPropertyDescriptor(globalThis, 'gc');
    const gc = () => {};
    try {
      Object.defineProperty(globalThis, 'gc', { value: gc, configurable: true, writable: true });
      expect(exposedCollector()).toBe(gc);
      Reflect.deleteProperty(globalThis, 'gc');
      expect(exposedCollector()).toBeUndefined();
    } finally {
      if (had) Object.defineProperty(globalThis, 'gc', had);
    }
  });
});
