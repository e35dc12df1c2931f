import { describe, expect, it } from 'vitest';
import { createEventRecorder, eventsFor, FAILURE_STREAK, type PodEvent } from './events.ts';
import type { ActionResult } from './execute.ts';
import type { Logger } from './log.ts';

const failed = (file: string, code = 'EACCES'): ActionResult => ({
  action: { kind: 'compress', file, target: `${file}.gz`, compression: 'gzip', reason: 'closed' },
  ok: false,
  code,
  error: new Error(`failed to compress "${file}": ${code}`),
});
const compressed = (file: string): ActionResult =>
  ({
    action: { kind: 'compress', file, target: `${file}.gz`, compression: 'gzip', reason: 'closed' },
    ok: true,
    outcome: { kind: 'compressed', target: `${file}.gz`, bytesIn: 10, bytesOut: 2, source: 'emptied' },
  }) as ActionResult;
const lastResort = (file: string): ActionResult =>
  ({
    action: {
      kind: 'cap',
      file,
      keepBytes: 100,
      rotated: undefined,
      compression: 'none',
      reason: 'over_hard_limit',
    },
    ok: true,
    outcome: {
      kind: 'capped',
      method: 'collapse',
      removedBytes: 4096,
      rotated: [],
      bytesOut: 0,
      bytesAtRisk: 0,
      sparse: false,
    },
  }) as ActionResult;

describe('eventsFor', () => {
  it('reports the last-resort cap at once', () => {
    expect(eventsFor([lastResort('stat.log')], new Map())).toEqual([
      {
        type: 'Warning',
        reason: 'LogwardLastResortCap',
        message:
          'dropped the oldest 4096 bytes of live file "stat.log": the log directory reached its hard limit and only live data was left; raise logward.io/size-limit or lower the write rate',
        key: 'last-resort:stat.log',
      },
    ]);
  });

  it('reports an action failing several passes in a row, once, and forgets it after a success', () => {
    const streaks = new Map();
    const passes = Array.from({ length: FAILURE_STREAK + 2 }, () => eventsFor([failed('a.log')], streaks));
    expect(passes.map((events) => events.length)).toEqual([0, 0, 1, 0, 0]);
    expect(passes[2]![0]).toMatchObject({
      reason: 'LogwardActionFailing',
      message: 'failed to compress "a.log": EACCES (3 passes in a row)',
    });
    eventsFor([compressed('a.log')], streaks);
    expect(streaks.size).toBe(0);
  });
});

describe('createEventRecorder', () => {
  const logger = (lines: string[]): Logger => ({ log: (_level, msg) => lines.push(msg) });

  it('rate-limits per key and stops asking once forbidden', async () => {
    const sent: PodEvent[] = [];
    const lines: string[] = [];
    let clock = 0;
    let forbid = false;
    const recorder = createEventRecorder(
      {
        // Slower than a few microtasks, so only a real flush() sees the result.
        emit: async (event) => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          if (forbid) throw Object.assign(new Error('forbidden'), { code: 403 });
          sent.push(event);
        },
      },
      logger(lines),
      () => clock,
      1000,
    );
    recorder.observe([lastResort('a.log')]);
    recorder.observe([lastResort('a.log'), lastResort('b.log')]);
    await recorder.flush();
    expect(sent.map((e) => e.key)).toEqual(['last-resort:a.log', 'last-resort:b.log']);
    clock = 2000;
    forbid = true;
    recorder.observe([lastResort('a.log')]);
    await recorder.flush();
    clock = 4000;
    forbid = false;
    recorder.observe([lastResort('a.log')]);
    await recorder.flush();
    expect(sent).toHaveLength(2);
    expect(lines.filter((l) => l === 'events_forbidden')).toHaveLength(1);
  });
});

describe('a live file the sidecar may not write', () => {
  it('names the annotation that fixes it', () => {
    const denied: ActionResult = {
      action: {
        kind: 'cap',
        file: 'app.log',
        keepBytes: 1,
        rotated: 'app.1.log.gz',
        compression: 'gzip',
        reason: 'over_max_file_size',
      },
      ok: false,
      code: 'EACCES',
      error: new Error('failed to cap "app.log": EACCES'),
    };
    const streaks = new Map();
    const [event] = [1, 2, 3].flatMap(() => eventsFor([denied], streaks));
    expect(event?.message).toMatch(
      /^failed to cap "app.log": EACCES \(3 passes in a row\): the sidecar \(uid \d+\) may not write this live file; set logward.io\/sidecar-run-as-user to the uid that writes the logs$/,
    );
  });
});
