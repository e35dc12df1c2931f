import { type FileHandle, open, rename } from 'node:fs/promises';
import { join } from 'node:path';

// The motivating incident's app: one log file per day (`going.2021-01-04.log`), a size spill
// (`going.2021-01-10.log.full.1.log`) when a day's file grows too big, and `stat.log`, which
// nobody ever rotates. Days pass in seconds so a demo shows a week.

export interface SimulatedAppOptions {
  dir: string;
  bytesPerSecond: number;
  msPerDay: number;
  /** A day's file is renamed to `.full.N.log` past this size, as the app's own logger does. */
  spillBytes: number;
  firstDay: Date;
}

export interface AppTotals {
  bytesWritten: number;
  lines: number;
  days: number;
}

export interface SimulatedApp {
  stop(): Promise<AppTotals>;
}

const TICK_MS = 50;
const PATHS = ['/api/orders', '/api/cart', '/api/users/me', '/healthz', '/api/search?q=shoes'];

export function startSimulatedApp(options: SimulatedAppOptions): SimulatedApp {
  const started = Date.now();
  const totals: AppTotals = { bytesWritten: 0, lines: 0, days: 1 };
  let day = -1;
  let spills = 0;
  let currentSize = 0;
  let current: FileHandle | undefined;
  let stats: FileHandle | undefined;
  let stopped = false;
  let debt = 0;

  const dayName = (offset: number) => {
    const date = new Date(options.firstDay.getTime() + offset * 86_400_000);
    return `going.${date.toISOString().slice(0, 10)}.log`;
  };

  const tick = async () => {
    const elapsed = Date.now() - started;
    const today = Math.floor(elapsed / options.msPerDay);
    const file = join(options.dir, dayName(today));
    if (today !== day) {
      await current?.close();
      current = await open(file, 'a');
      day = today;
      spills = 0;
      currentSize = 0;
      totals.days = today + 1;
    } else if (currentSize > options.spillBytes) {
      await current?.close();
      spills++;
      await rename(file, `${file}.full.${spills}.log`);
      current = await open(file, 'a');
      currentSize = 0;
    }
    stats ??= await open(join(options.dir, 'stat.log'), 'a');

    debt += (options.bytesPerSecond * TICK_MS) / 1000;
    const lines: string[] = [];
    let size = 0;
    const timestamp = new Date(
      options.firstDay.getTime() +
        today * 86_400_000 +
        (elapsed % options.msPerDay) * (86_400_000 / options.msPerDay),
    );
    while (size < debt) {
      const line = `${timestamp.toISOString()} INFO  [going] request id=${Math.random().toString(36).slice(2, 12)} path=${PATHS[totals.lines % PATHS.length]} status=200 latency_ms=${totals.lines % 97} user=u${totals.lines % 1013}\n`;
      lines.push(line);
      size += line.length;
      totals.lines++;
    }
    debt -= size;
    await current!.appendFile(lines.join(''));
    await stats.appendFile(
      `${timestamp.toISOString()} stat requests=${totals.lines} heap_mb=${120 + (totals.lines % 40)}\n`,
    );
    totals.bytesWritten += size;
    currentSize += size;
  };

  let chain = Promise.resolve();
  const timer = setInterval(() => {
    // One write at a time: a slow disk delays the app, as it would a real one.
    chain = chain.then(() => (stopped ? undefined : tick()));
  }, TICK_MS);

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await chain;
      await current?.close();
      await stats?.close();
      return totals;
    },
  };
}
