// Calls a function at each time a cron schedule names: one timer at a time, set for the next
// match. node-cron did this before, at about 10 MiB per pod (see contract/cron.ts).
import { type CronSchedule, nextCronTime } from '../contract/cron.ts';

// setTimeout takes at most 2^31-1 ms; a far match is reached in steps of a day.
const MAX_DELAY_MS = 86_400_000;

export interface CronTimer {
  stop(): void;
}

export function everyCronTime(
  schedule: CronSchedule,
  fire: () => void,
  now: () => number = Date.now,
): CronTimer {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const arm = (after: number) => {
    const next = nextCronTime(schedule, new Date(after));
    if (next === undefined || stopped) return;
    const at = next.getTime();
    timer = setTimeout(
      () => {
        if (now() >= at) {
          fire();
          // From the time it was due, not the clock: a timer firing a hair early must not
          // find the same second again.
          arm(Math.max(now(), at));
        } else {
          arm(now());
        }
      },
      Math.min(Math.max(0, at - now()), MAX_DELAY_MS),
    );
  };
  arm(now());
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
