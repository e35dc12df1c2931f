// Cron expressions for `logward.io/schedule`: parsed once into the values each field allows,
// and the next time they all match. Both halves read it, the webhook to refuse a bad schedule
// at admission and the sidecar to run its sweep.
//
// Not node-cron: in the sidecar it cost about 10 MiB of resident memory in every pod (it loads
// node:crypto, node:child_process and its own task machinery) for one timer, and its parser
// expanded ranges element by element before checking bounds (`1-99999999` took half a minute).
//
// The grammar is node-cron's (4.x), so every schedule written for it still means the same:
// five fields (minute hour day-of-month month day-of-week) or six with seconds first. In each,
// `*`, a number, a range `a-b` (wrapping past the field's end when a > b: hours `22-2`), a step
// `*/n`, `a-b/n` or `a/n`, and lists of those; `?` for a whole day field; month names (`jan`,
// `january`) and day names (`sun`, `sunday`), 7 for Sunday like 0. In day-of-month also `L`
// (the month's last day), `L-n` (n days before it), `nW` (the weekday nearest day n, within
// the month) and `LW`; in day-of-week `nL` (the month's last such weekday) and `n#k` (its k-th).
// The nicknames `@hourly`, `@daily`, `@midnight`, `@weekly`, `@monthly`, `@yearly`,
// `@annually`. A time matches when every field does (day-of-month and day-of-week both, as
// node-cron has it), in the process's local time zone (UTC in a container unless TZ says
// otherwise). The one difference: an expression that names no date at all (`0 0 L-30 2 *`) is
// refused here, where node-cron accepted some and then failed to schedule them.

export interface CronSchedule {
  /** Allowed values per field: second, minute, hour, day of month, month (1-12), day of week (0-6). */
  readonly fields: readonly (readonly boolean[])[];
  /** Day-of-month items counted from the month's end or moved to a weekday (L, L-n, nW, LW). */
  readonly monthDays: readonly MonthDay[];
  /** Day-of-week items placed in the month (nL, n#k). */
  readonly weekdaysInMonth: readonly WeekdayInMonth[];
}

type MonthDay = { kind: 'last'; before: number } | { kind: 'nearest-weekday'; day: number | 'last' };
interface WeekdayInMonth {
  weekday: number;
  /** 1-5, or 'last'. */
  nth: number | 'last';
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FULL_NAMES = [
  ...['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september'],
  ...['october', 'november', 'december', 'sunday', 'monday', 'tuesday', 'wednesday', 'thursday'],
  ...['friday', 'saturday'],
];
const DAY_OF_MONTH = 3;
const DAY_OF_WEEK = 5;
const FIELDS: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  // 7 is Sunday too: read as 0 below.
  { name: 'day of week', min: 0, max: 7, names: DAYS },
];
const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
// Long enough for any real expression; a bound on the work an annotation can ask for.
const MAX_LENGTH = 200;
// From 2000 (a leap year) the calendar repeats every 28 years until 2100: every pairing of a
// date with a weekday that ever occurs occurs within these.
const CALENDAR_CYCLE_YEARS = 28;

/** The schedule, or what is wrong with the expression (for the caller to put in its message). */
export function parseCron(
  expression: string,
): { ok: true; schedule: CronSchedule } | { ok: false; error: string } {
  const text = expression.trim();
  if (text.length > MAX_LENGTH) return { ok: false, error: `longer than ${MAX_LENGTH} characters` };
  const parts = (NICKNAMES[text.toLowerCase()] ?? text).split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6)
    return { ok: false, error: `has ${parts.length} fields; cron takes 5, or 6 with seconds first` };
  if (parts.length === 5) parts.unshift('0');
  const fields: boolean[][] = [];
  const monthDays: MonthDay[] = [];
  const weekdaysInMonth: WeekdayInMonth[] = [];
  for (const [index, spec] of FIELDS.entries()) {
    const special = index === DAY_OF_MONTH ? monthDays : index === DAY_OF_WEEK ? weekdaysInMonth : undefined;
    const parsed = parseField(parts[index]!, spec, special);
    if (typeof parsed === 'string')
      return { ok: false, error: `${spec.name} ${JSON.stringify(parts[index])}: ${parsed}` };
    fields.push(parsed);
  }
  const weekdays = fields[DAY_OF_WEEK]!;
  if (weekdays[7]) weekdays[0] = true;
  weekdays.length = 7;
  const schedule: CronSchedule = { fields, monthDays, weekdaysInMonth };
  if (!namesSomeDate(schedule))
    return { ok: false, error: 'matches no date (a day that the month never has?)' };
  return { ok: true, schedule };
}

/**
 * The values a field allows. Items that name a day relative to the month (day fields only) go
 * into `special` instead.
 */
function parseField(
  text: string,
  spec: FieldSpec,
  special: MonthDay[] | WeekdayInMonth[] | undefined,
): boolean[] | string {
  const allowed = new Array<boolean>(spec.max + 1).fill(false);
  if (text === '?' && special) text = '*';
  for (const item of text.split(',')) {
    if (special) {
      const relative = spec.names ? weekdayInMonth(item, spec) : monthDay(item);
      if (typeof relative === 'string') return relative;
      if (relative) {
        (special as (MonthDay | WeekdayInMonth)[]).push(relative);
        continue;
      }
    }
    const match = /^(\*|[a-z0-9]+)(?:-([a-z0-9]+))?(?:\/(\d+))?$/i.exec(item);
    if (!match) return `${JSON.stringify(item)} is not a value, range or step`;
    const [, from, to, step] = match;
    // The field's own end: day-of-week's 7 is an alias, not an eighth day.
    const top = spec.names === DAYS ? 6 : spec.max;
    let low: number;
    let high: number;
    if (from === '*') {
      if (to !== undefined) return `"*" takes no range`;
      [low, high] = [spec.min, top];
    } else {
      // A range's ends are checked through the values it expands to, as node-cron did: a
      // day-of-month `1-0` wraps to every day, `30-60` reaches a minute that does not exist.
      const first = fieldValue(from!, spec, to === undefined);
      if (typeof first === 'string') return first;
      low = first;
      // `a/n` runs from a to the end of the field.
      high = step !== undefined ? top : first;
      if (to !== undefined) {
        const last = fieldValue(to, spec, false);
        if (typeof last === 'string') return last;
        high = last;
      }
    }
    const by = step === undefined ? 1 : Number(step);
    if (!(by >= 1)) return `step ${step} is not 1 or more`;
    // A range whose start is after its end wraps past the field's end (hours 22-2: 22, 23,
    // 0, 1, 2), as node-cron reads it.
    const size = top - spec.min + 1;
    const wraps = high < low;
    const span = wraps ? (((high - low) % size) + size) % size : high - low;
    for (let offset = 0; offset <= span; offset += by) {
      const value = wraps && low + offset > top ? low + offset - size : low + offset;
      if (value < spec.min || value > spec.max) return `${value} is outside ${spec.min}-${spec.max}`;
      allowed[value] = true;
    }
  }
  return allowed;
}

/** L, L-n, nW or LW; undefined for an ordinary item; a message for a malformed one. */
function monthDay(item: string): MonthDay | string | undefined {
  const upper = item.toUpperCase();
  if (upper === 'L') return { kind: 'last', before: 0 };
  if (upper === 'LW') return { kind: 'nearest-weekday', day: 'last' };
  const before = /^L-(\d{1,2})$/.exec(upper);
  if (before) {
    const n = Number(before[1]);
    return n >= 1 && n <= 30 ? { kind: 'last', before: n } : `in ${item}, ${n} is outside 1-30`;
  }
  const weekday = /^(\d{1,2})W$/.exec(upper);
  if (weekday) {
    const day = Number(weekday[1]);
    return day >= 1 && day <= 31 ? { kind: 'nearest-weekday', day } : `in ${item}, ${day} is outside 1-31`;
  }
  return undefined;
}

/** nL or n#k (n a number or a day's name); undefined for an ordinary item. */
function weekdayInMonth(item: string, spec: FieldSpec): WeekdayInMonth | string | undefined {
  const match = /^([a-z]+|\d)(?:(l)|#(\d+))$/i.exec(item);
  if (!match) return undefined;
  const [, day, last, nth] = match;
  const weekday = fieldValue(day!, spec);
  if (typeof weekday === 'string') return weekday;
  if (last) return { weekday: weekday % 7, nth: 'last' };
  const n = Number(nth);
  return n >= 1 && n <= 5
    ? { weekday: weekday % 7, nth: n }
    : `in ${item}, ${nth} is not a week of the month (1-5)`;
}

/** A number or a name; with `checked`, within the field's bounds. */
function fieldValue(text: string, spec: FieldSpec, checked = true): number | string {
  if (/^\d{1,2}$/.test(text)) {
    const value = Number(text);
    return !checked || (value >= spec.min && value <= spec.max)
      ? value
      : `${value} is outside ${spec.min}-${spec.max}`;
  }
  const name = text.toLowerCase();
  const index = spec.names?.findIndex(
    (short) => name === short || (FULL_NAMES.includes(name) && name.startsWith(short)),
  );
  if (index !== undefined && index >= 0) return index + spec.min;
  return `${JSON.stringify(text)} is not a number${spec.names ? ' or a name' : ''} from ${spec.min} to ${spec.max}`;
}

/** Whether the schedule names this time (to the second). */
export function cronMatches(schedule: CronSchedule, time: Date): boolean {
  const [seconds, minutes, hours, , months] = schedule.fields;
  return (
    seconds![time.getSeconds()] === true &&
    minutes![time.getMinutes()] === true &&
    hours![time.getHours()] === true &&
    months![time.getMonth() + 1] === true &&
    cronMatchesDay(schedule, time)
  );
}

/** Whether the schedule's day fields (both of them, as node-cron reads them) name this date. */
export function cronMatchesDay(schedule: CronSchedule, time: Date): boolean {
  return dayMatches(schedule, time.getFullYear(), time.getMonth() + 1, time.getDate(), time.getDay());
}

// Arithmetic rather than Date objects: parseCron runs this for every day of 28 years when an
// expression names none, in the webhook's admission path.
function dayMatches(
  { fields, monthDays, weekdaysInMonth }: CronSchedule,
  year: number,
  month: number,
  day: number,
  weekday: number,
): boolean {
  const lastDay = daysIn(year, month);
  const dayOfMonth =
    fields[DAY_OF_MONTH]![day] === true ||
    monthDays.some((rule) =>
      rule.kind === 'last'
        ? day === lastDay - rule.before
        : day === nearestWeekday(rule.day === 'last' ? lastDay : rule.day, lastDay, (weekday - day + 35) % 7),
    );
  if (!dayOfMonth) return false;
  return (
    fields[DAY_OF_WEEK]![weekday] === true ||
    weekdaysInMonth.some(
      (rule) =>
        rule.weekday === weekday &&
        (rule.nth === 'last' ? day + 7 > lastDay : Math.floor((day - 1) / 7) + 1 === rule.nth),
    )
  );
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/**
 * The weekday nearest `target` without leaving the month (Quartz's `W`); -1 past its end.
 * `weekdayOfZeroth`: the weekday of the day before the 1st.
 */
function nearestWeekday(target: number, lastDay: number, weekdayOfZeroth: number): number {
  if (target > lastDay) return -1;
  const weekday = (weekdayOfZeroth + target) % 7;
  if (weekday === 6) return target === 1 ? 3 : target - 1;
  if (weekday === 0) return target === lastDay ? target - 2 : target + 1;
  return target;
}

/** Whether the schedule names any date at all: every day of a whole calendar cycle, tried. */
function namesSomeDate(schedule: CronSchedule): boolean {
  const months = schedule.fields[4]!;
  // 1 January 2000 was a Saturday.
  let weekday = 6;
  for (let year = 2000; year < 2000 + CALENDAR_CYCLE_YEARS; year++) {
    for (let month = 1; month <= 12; month++) {
      const days = daysIn(year, month);
      if (months[month]) {
        for (let day = 1; day <= days; day++) {
          if (dayMatches(schedule, year, month, day, (weekday + day - 1) % 7)) return true;
        }
      }
      weekday = (weekday + days) % 7;
    }
  }
  return false;
}

// node-cron looked a century ahead; an expression valid here matches within 28 years.
const SEARCH_YEARS = 100;

/** The first time strictly after `after`, to the second, when the schedule matches; undefined when none within a century. */
export function nextCronTime(schedule: CronSchedule, after: Date): Date | undefined {
  const [seconds, minutes, hours, , months] = schedule.fields as boolean[][];
  const time = new Date(after.getTime());
  time.setMilliseconds(0);
  time.setSeconds(time.getSeconds() + 1);
  const limit = new Date(after).setFullYear(after.getFullYear() + SEARCH_YEARS);
  while (time.getTime() <= limit) {
    if (!months![time.getMonth() + 1]) {
      time.setMonth(time.getMonth() + 1, 1);
      time.setHours(0, 0, 0);
    } else if (!cronMatchesDay(schedule, time)) {
      time.setDate(time.getDate() + 1);
      time.setHours(0, 0, 0);
    } else if (!hours![time.getHours()]) {
      time.setHours(time.getHours() + 1, 0, 0);
    } else if (!minutes![time.getMinutes()]) {
      time.setMinutes(time.getMinutes() + 1, 0);
    } else if (!seconds![time.getSeconds()]) {
      time.setSeconds(time.getSeconds() + 1);
    } else {
      return time;
    }
  }
  return undefined;
}
