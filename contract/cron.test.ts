import fc from 'fast-check';
import { createTask, validate } from 'node-cron';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type CronSchedule, cronMatches, cronMatchesDay, nextCronTime, parseCron } from './cron.ts';

function schedule(expression: string): CronSchedule {
  const parsed = parseCron(expression);
  if (!parsed.ok) throw new Error(`${expression}: ${parsed.error}`);
  return parsed.schedule;
}

/** Local time, as the schedule reads it. */
const at = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) => new Date(y, mo - 1, d, h, mi, s);

describe('parseCron', () => {
  it.each([
    '* * * * *',
    '*/30 * * * * *',
    '0 */6 * * *',
    '15,45 9-17 * * mon-fri',
    '0 0 1 jan,jul *',
    '0 0 * * SUNDAY',
    '0 0 ? * 7',
    '0 0 1-31/2 * ?',
    '@hourly',
    '@DAILY',
    '  5 4  * * *  ',
    '0 0 29 2 *',
    // What node-cron read too, so schedules written for it keep working.
    '0 22-2 * * *',
    '0 0 * * fri-mon',
    '*/90 * * * *',
    '0 0 L * *',
    '0 0 L-3,15W,LW * *',
    '0 0 * * 5L',
    '0 0 * * FRI#2,mon#1',
    '0 0 29 2 mon',
  ])('accepts %j', (expression) => expect(parseCron(expression).ok).toBe(true));

  it.each([
    ['hourly', 'has 1 fields; cron takes 5, or 6 with seconds first'],
    ['* * * * * * *', 'has 7 fields; cron takes 5, or 6 with seconds first'],
    ['60 * * * *', 'minute "60": 60 is outside 0-59'],
    ['* 24 * * *', 'hour "24": 24 is outside 0-23'],
    ['* * 0 * *', 'day of month "0": 0 is outside 1-31'],
    ['* * * 13 *', 'month "13": 13 is outside 1-12'],
    ['* * * * 8', 'day of week "8": 8 is outside 0-7'],
    ['* * * foo *', 'month "foo": "foo" is not a number or a name from 1 to 12'],
    ['*/0 * * * *', 'minute "*/0": step 0 is not 1 or more'],
    ['*-5 * * * *', 'minute "*-5": "*" takes no range'],
    ['1-999999999 * * * *', 'minute "1-999999999": "999999999" is not a number from 0 to 59'],
    ['? * * * *', 'minute "?": "?" is not a value, range or step'],
    ['0 0 L-31 * *', 'day of month "L-31": in L-31, 31 is outside 1-30'],
    ['0 0 32W * *', 'day of month "32W": in 32W, 32 is outside 1-31'],
    ['0 0 * * 1#6', 'day of week "1#6": in 1#6, 6 is not a week of the month (1-5)'],
    ['0 0 1 L *', 'month "L": "L" is not a number or a name from 1 to 12'],
    ['0 0 * * 8L', 'day of week "8L": 8 is outside 0-7'],
    ['0 0 30 2 *', 'matches no date (a day that the month never has?)'],
    ['0 0 L-30 2 *', 'matches no date (a day that the month never has?)'],
    ['0 0 1 * 1#5', 'matches no date (a day that the month never has?)'],
    [`${'1,'.repeat(200)}1 * * * *`, 'longer than 200 characters'],
  ])('refuses %j: %s', (expression, error) => expect(parseCron(expression)).toEqual({ ok: false, error }));
});

describe('nextCronTime', () => {
  it.each([
    ['* * * * *', at(2024, 5, 1, 10, 0, 0), at(2024, 5, 1, 10, 1, 0)],
    ['* * * * *', at(2024, 5, 1, 10, 0, 59), at(2024, 5, 1, 10, 1, 0)],
    ['*/30 * * * * *', at(2024, 5, 1, 10, 0, 0), at(2024, 5, 1, 10, 0, 30)],
    ['0 0 * * *', at(2024, 12, 31, 23, 59, 59), at(2025, 1, 1)],
    ['0 0 29 2 *', at(2024, 3, 1), at(2028, 2, 29)],
    ['30 9 * * mon', at(2024, 5, 1), at(2024, 5, 6, 9, 30)],
    ['0 12 13 * fri', at(2024, 1, 1), at(2024, 9, 13, 12)],
    ['@monthly', at(2024, 1, 31, 12), at(2024, 2, 1)],
  ])('%j after %s is %s', (expression, after, expected) =>
    expect(nextCronTime(schedule(expression), after)).toEqual(expected),
  );

  it('is strictly after the time given, to the second', () => {
    expect(nextCronTime(schedule('* * * * * *'), at(2024, 5, 1, 10, 0, 0))).toEqual(at(2024, 5, 1, 10, 0, 1));
    const half = new Date(at(2024, 5, 1, 10, 0, 0).getTime() + 500);
    expect(nextCronTime(schedule('* * * * * *'), half)).toEqual(at(2024, 5, 1, 10, 0, 1));
  });

  // The search jumps whole months, days, hours and minutes; stepping one second at a time is
  // slow but cannot skip a match. Both must find the same one.
  it('finds the first matching second, as a second-by-second scan does', () => {
    const field = (max: number) =>
      fc.oneof(
        fc.constant('*'),
        fc.integer({ min: 0, max }).map(String),
        fc.integer({ min: 1, max: Math.min(max, 20) }).map((n) => `*/${n}`),
        fc
          .tuple(fc.integer({ min: 0, max }), fc.integer({ min: 0, max }))
          .map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
      );
    const expression = fc
      .tuple(
        field(59),
        field(59),
        field(23),
        fc.constantFrom('*', '1-15', '*/2', 'L', '15W,L-2'),
        fc.constantFrom('*', '2-4', 'jan,jun'),
        fc.constantFrom('*', '1-5', '0', 'fri-mon', '5L', '2#3'),
      )
      .map((fields) => fields.join(' '));
    const start = fc.integer({ min: at(2024, 1, 1).getTime(), max: at(2025, 1, 1).getTime() });
    fc.assert(
      fc.property(expression, start, (text, startMs) => {
        const result = parseCron(text);
        // Some draws name no date at all (the third Tuesday as the month's last day).
        fc.pre(result.ok);
        if (!result.ok) return;
        const parsed = result.schedule;
        const found = nextCronTime(parsed, new Date(startMs));
        // Day by day while the day's fields do not match (they hold for a whole day), then
        // second by second.
        const dayMatches = (t: Date) => parsed.fields[4]![t.getMonth() + 1] && cronMatchesDay(parsed, t);
        let scan = new Date(Math.floor(startMs / 1000) * 1000 + 1000);
        while (!cronMatches(parsed, scan)) {
          if (dayMatches(scan)) scan = new Date(scan.getTime() + 1000);
          else scan = new Date(scan.getFullYear(), scan.getMonth(), scan.getDate() + 1);
        }
        expect(found).toEqual(scan);
      }),
      { numRuns: 100 },
    );
  });
});

// node-cron 4.6 read `logward.io/schedule` before, behind a filter that refused three-digit
// numbers and characters outside [0-9a-zA-Z*/,?#- ]. Every expression it accepted must still be
// accepted and name the same times; random ones, drawn from its whole grammar.
describe('parseCron and node-cron', () => {
  const PLAUSIBLE_BEFORE = /^(?!.*\d{3})[\d*/,\-a-zA-Z?# ]{1,100}$/;
  const MONTH_NAMES = [
    'jan',
    'FEB',
    'march',
    'Apr',
    'may',
    'june',
    'jul',
    'AUGUST',
    'sep',
    'oct',
    'nov',
    'dec',
  ];
  const DAY_NAMES = ['sun', 'MON', 'tuesday', 'wed', 'thu', 'Friday', 'sat'];
  const caseOf = (index: number) => {
    const bounds = [
      [0, 59],
      [0, 59],
      [0, 23],
      [1, 31],
      [1, 12],
      [0, 7],
    ][index]!;
    // Mostly within the field, so that most draws are accepted and compared.
    const number = fc
      .oneof(
        { arbitrary: fc.integer({ min: bounds[0]!, max: bounds[1]! }), weight: 9 },
        fc.constantFrom(bounds[0]! - 1, bounds[1]! + 1),
      )
      .map(String);
    const names = index === 4 ? MONTH_NAMES : index === 5 ? DAY_NAMES : [];
    const value = names.length > 0 ? fc.oneof(number, fc.constantFrom(...names)) : number;
    const items = [
      { arbitrary: fc.constantFrom('*', '*', '*', '?'), weight: 3 },
      { arbitrary: value, weight: 3 },
      fc.tuple(value, value).map(([a, b]) => `${a}-${b}`),
      fc.tuple(value, value, fc.integer({ min: 0, max: 70 })).map(([a, b, n]) => `${a}-${b}/${n}`),
      fc.integer({ min: 0, max: 70 }).map((n) => `*/${n}`),
      fc.tuple(value, fc.integer({ min: 1, max: 30 })).map(([a, n]) => `${a}/${n}`),
    ];
    if (index === 3)
      items.push(
        fc.constantFrom('L', 'LW', 'l', 'lw'),
        fc.integer({ min: 0, max: 32 }).map((n) => `L-${n}`),
        fc.integer({ min: 0, max: 32 }).map((n) => `${n}W`),
      );
    if (index === 5)
      items.push(
        value.map((d) => `${d}L`),
        fc.tuple(value, fc.integer({ min: 0, max: 6 })).map(([d, k]) => `${d}#${k}`),
      );
    return fc.array(fc.oneof(...items), { minLength: 1, maxLength: 2 }).map((list) => list.join(','));
  };
  const expression = fc
    .tuple(fc.boolean(), caseOf(0), caseOf(1), caseOf(2), caseOf(3), caseOf(4), caseOf(5))
    .map(([seconds, ...fields]) => (seconds ? fields : fields.slice(1)).join(' '));
  const start = fc.integer({ min: at(2024, 1, 1).getTime(), max: at(2027, 1, 1).getTime() });

  afterEach(() => vi.useRealTimers());

  /** node-cron's next three times after `now`; undefined when it finds none (or refuses the expression). */
  function nodeCronTimes(text: string, now: number): Date[] | undefined {
    if (!PLAUSIBLE_BEFORE.test(text) || !validate(text)) return undefined;
    vi.useFakeTimers({ toFake: ['Date'], now });
    const task = createTask(text, () => {});
    try {
      return task.getNextRuns(3);
    } catch {
      return undefined;
    } finally {
      void task.destroy();
      vi.useRealTimers();
    }
  }

  it('accepts what node-cron accepted, and names the same times', () => {
    let compared = 0;
    fc.assert(
      fc.property(expression, start, (text, now) => {
        const before = nodeCronTimes(text, now);
        if (before === undefined) return;
        compared++;
        const parsed = parseCron(text);
        expect(parsed, text).toMatchObject({ ok: true });
        if (!parsed.ok) return;
        const times: Date[] = [];
        let after = new Date(now);
        for (let i = 0; i < 3; i++) {
          after = nextCronTime(parsed.schedule, after)!;
          times.push(after);
        }
        expect(times, text).toEqual(before);
      }),
      { numRuns: 1500 },
    );
    // The draw must reach the accepted part of the grammar, or this test shows nothing.
    expect(compared).toBeGreaterThan(150);
  });
});
