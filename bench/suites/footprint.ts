// 5. Footprint while idle: the sidecar watching a quiet directory, next to logrotate's cron
// loop over a quiet file, side by side for the same window (nothing is written, so they do not
// disturb each other). The footprint under a 10 MB/s writer comes from the bounded-usage runs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchConfig } from '../config.ts';
import { startCronLoop } from '../cron-loop.ts';
import { writeLogrotateConfig } from '../logrotate.ts';
import { sleep } from '../processes.ts';
import { cpuTimes, memory } from '../procfs.ts';
import { startSidecar } from '../sidecar.ts';

export interface FootprintRun {
  tool: 'logward' | 'logrotate';
  seconds: number;
  cpuSeconds: number;
  cpuPercent: number;
  rssBytes: number;
  rssPeakBytes: number;
}

export async function idleFootprint(
  config: BenchConfig['footprint'],
  minuteMs: number,
  root: string,
): Promise<FootprintRun[]> {
  const sidecarDir = join(root, 'idle-logward');
  const rotateDir = join(root, 'idle-logrotate');
  for (const dir of [sidecarDir, rotateDir]) {
    mkdirSync(dir);
    writeFileSync(join(dir, 'app.log'), 'a quiet app\n'.repeat(1000));
  }
  const sidecar = await startSidecar(['--dir', sidecarDir, '--metrics-port', '0']);
  const loop = startCronLoop(
    writeLogrotateConfig(rotateDir, 'app.log', { maxsize: 100 << 20, rotate: 10 }),
    minuteMs,
  );
  // Start-up work (imports, the first sweep) is not idling.
  await sleep(2000);
  const sidecarBefore = cpuTimes(sidecar.pid).self;
  const loopBefore = loop.cpuSeconds();
  let loopRssPeak = 0;
  const started = performance.now();
  while (performance.now() - started < config.idleMs) {
    loopRssPeak = Math.max(loopRssPeak, loop.rss());
    await sleep(100);
  }
  const seconds = (performance.now() - started) / 1000;
  const sidecarCpu = cpuTimes(sidecar.pid).self - sidecarBefore;
  const loopCpu = loop.cpuSeconds() - loopBefore;
  const sidecarMemory = memory(sidecar.pid);
  const loopRss = loop.rss();
  await sidecar.stop();
  await loop.stop();
  return [
    {
      tool: 'logward',
      seconds,
      cpuSeconds: sidecarCpu,
      cpuPercent: (sidecarCpu / seconds) * 100,
      rssBytes: sidecarMemory.rss,
      rssPeakBytes: sidecarMemory.hwm,
    },
    {
      tool: 'logrotate',
      seconds,
      cpuSeconds: loopCpu,
      cpuPercent: (loopCpu / seconds) * 100,
      rssBytes: loopRss,
      rssPeakBytes: Math.max(loopRssPeak, loopRss),
    },
  ];
}
