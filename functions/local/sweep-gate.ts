/** What the local runner reports about its sweeper (GET /health). */
export interface SweeperHealth {
  /** When the last run that ended (well or badly) had started; null before the first one ends. */
  readonly lastRunAt: string | null;
  /** When that run ended, and whether it threw. */
  readonly lastFinishedAt: string | null;
  readonly lastOutcome: 'ok' | 'failed' | null;
  /** Whether a run is in flight, since when, for how long. */
  readonly running: boolean;
  readonly runningSince: string | null;
  readonly runningForSeconds: number | null;
  /** The run in flight is older than the budget (an AWS call that never answers). */
  readonly stuck: boolean;
  /** Runs given up as stuck since start-up (they may still settle; their outcome is ignored). */
  readonly abandoned: number;
}

/** The answer to a request for a sweep. */
export type SweepStart<T> =
  | { readonly started: true; readonly run: Promise<T>; readonly since: Date }
  | { readonly started: false; readonly since: Date; readonly runningForSeconds: number };

export interface SweepGateOptions {
  /** A run older than this counts as stuck: the next request starts a new one. */
  readonly budgetMs: number;
  /** The wall clock (never the use cases' clock, which the demo moves). */
  readonly nowMs?: () => number;
  /** Told when a stuck run is given up. */
  readonly onAbandon?: (since: Date, runningForSeconds: number) => void;
}

interface InFlight<T> {
  readonly since: Date;
  readonly run: Promise<T>;
}

/**
 * One sweep at a time, as one scheduled Lambda would run, without ever waiting on a stuck
 * one. A request while a run is in flight is answered at once ("already running since…");
 * once that run is older than the budget it is given up (its outcome ignored) and a new run
 * starts, so one AWS call that never answers cannot stop every later grant from expiring.
 * Running a second sweep beside a stuck one is safe: each grant's end is a conditional write.
 */
export class SweepGate<T> {
  private current: InFlight<T> | undefined;
  private last: { since: Date; finishedAt: Date; outcome: 'ok' | 'failed' } | undefined;
  private abandoned = 0;
  private readonly nowMs: () => number;

  constructor(
    private readonly sweep: () => Promise<T>,
    private readonly options: SweepGateOptions,
  ) {
    this.nowMs = options.nowMs ?? Date.now;
  }

  /** Starts a run unless a run younger than the budget is in flight. Never waits. */
  start(): SweepStart<T> {
    const current = this.current;
    if (current) {
      const runningForMs = this.nowMs() - current.since.getTime();
      if (runningForMs <= this.options.budgetMs) {
        return { started: false, since: current.since, runningForSeconds: Math.round(runningForMs / 1000) };
      }
      this.abandoned += 1;
      this.options.onAbandon?.(current.since, Math.round(runningForMs / 1000));
    }
    const since = new Date(this.nowMs());
    // Called now (not on a later tick) so the run is in flight when start() returns.
    const run = (async () => this.sweep())();
    const flight: InFlight<T> = { since, run };
    this.current = flight;
    const settle = (outcome: 'ok' | 'failed') => {
      // A run given up as stuck no longer speaks for the sweeper.
      if (this.current !== flight) return;
      this.current = undefined;
      this.last = { since, finishedAt: new Date(this.nowMs()), outcome };
    };
    run.then(
      () => settle('ok'),
      () => settle('failed'),
    );
    return { started: true, run, since };
  }

  /** The run in flight (when it is not stuck), else a new one. */
  join(): Promise<T> {
    const current = this.current;
    if (current && this.nowMs() - current.since.getTime() <= this.options.budgetMs) return current.run;
    const started = this.start();
    return started.started ? started.run : (this.current as InFlight<T>).run;
  }

  health(): SweeperHealth {
    const current = this.current;
    const runningForMs = current ? this.nowMs() - current.since.getTime() : undefined;
    return {
      lastRunAt: this.last?.since.toISOString() ?? null,
      lastFinishedAt: this.last?.finishedAt.toISOString() ?? null,
      lastOutcome: this.last?.outcome ?? null,
      running: current !== undefined,
      runningSince: current?.since.toISOString() ?? null,
      runningForSeconds: runningForMs === undefined ? null : Math.round(runningForMs / 1000),
      stuck: runningForMs !== undefined && runningForMs > this.options.budgetMs,
      abandoned: this.abandoned,
    };
  }
}
