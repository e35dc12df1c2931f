// What each mode runs. Quick mode (CI smoke) scales sizes and the cron "minute" down by the same
// factor, so the race between writer, limit and schedule keeps its shape; the report says so.

const GiB = 2 ** 30;
const MiB = 2 ** 20;

export interface BenchConfig {
  quick: boolean;
  lostLines: {
    linesPerSecond: number;
    width: number;
    /** Live-file caps per run, O_APPEND writer and writer without it. */
    caps: { append: number; offset: number };
    maxFileBytes: number;
    /** Upper bound per run, whatever the cap count reached. */
    timeoutMs: { append: number; offset: number };
  };
  usage: {
    /** Sizes and the cron interval are the full run's times this. */
    scale: number;
    limitBytes: number;
    minuteMs: number;
    runMs: number;
    ratesMBs: number[];
    sampleMs: number;
  };
  reaction: { trials: number; maxFileBytes: number };
  compression: { bytes: number };
  /**
   * Idle window; the footprint under a writer comes from the bounded-usage run at writerMBs.
   * The image-form sidecar also runs under a `heavyMBs` writer for `heavyMs` into `heavyLimit`
   * (its peak memory), and is started `startTrials` times (start to first sweep).
   */
  footprint: {
    idleMs: number;
    writerMBs: number;
    heavyMBs: number;
    heavyMs: number;
    heavyLimit: string;
    startTrials: number;
  };
  webhook: {
    rates: number[];
    runMs: number;
    warmupMs: number;
    /**
     * Reviews at 1,000/s each server answers, unmeasured, before the first rate: a replica runs
     * for days, and what its JIT compiles in its first seconds (the webhook has far more code to
     * compile than the floor) is not what a review costs.
     */
    primeMs: number;
    /** How long to wait for answers after the last request is sent. */
    drainMs: number;
    connections: number;
    /**
     * Runs of each server at each rate, the servers taking turns within a round; the report
     * takes each server's median round (one stall of a shared machine decides one run's p99).
     */
    rounds: number;
    /** Also run the webhook at --log-level=warn, to show what its log line per review costs. */
    quietVariant: boolean;
    /** Also run a fastify handler returning an empty patch, to show what the framework costs. */
    fastifyFloor: boolean;
    /** Starts timed, without and with cluster credentials, each. */
    startTrials: number;
  };
}

export function configFor(quick: boolean): BenchConfig {
  const scale = quick ? 1 / 16 : 1;
  return {
    quick,
    lostLines: {
      linesPerSecond: 20_000,
      width: 64,
      caps: quick ? { append: 20, offset: 10 } : { append: 1000, offset: 100 },
      maxFileBytes: 64 * 1024,
      timeoutMs: quick ? { append: 4_000, offset: 3_000 } : { append: 110_000, offset: 30_000 },
    },
    usage: {
      scale,
      limitBytes: GiB * scale,
      minuteMs: 60_000 * scale,
      runMs: 64_000 * scale,
      ratesMBs: quick ? [10] : [10, 25, 50],
      sampleMs: 100,
    },
    reaction: { trials: quick ? 5 : 20, maxFileBytes: MiB },
    compression: { bytes: quick ? 30 * MiB : 200 * MiB },
    footprint: {
      idleMs: quick ? 10_000 : 60_000,
      writerMBs: 10,
      heavyMBs: 50,
      heavyMs: quick ? 8_000 : 40_000,
      heavyLimit: quick ? '256Mi' : '1Gi',
      startTrials: quick ? 3 : 10,
    },
    webhook: {
      // 5,000/s is beyond what one core answers: the saturated figures.
      rates: quick ? [1000, 5000] : [500, 1000, 5000],
      runMs: quick ? 1_000 : 6_000,
      warmupMs: quick ? 500 : 1_000,
      primeMs: quick ? 3_000 : 5_000,
      drainMs: quick ? 1_000 : 3_000,
      connections: 32,
      rounds: quick ? 1 : 3,
      quietVariant: !quick,
      fastifyFloor: !quick,
      startTrials: quick ? 3 : 7,
    },
  };
}
