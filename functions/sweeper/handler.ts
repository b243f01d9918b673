import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { RequestDeps } from '../../shared/usecases/deps.js';
import { followUpPendingRequests } from '../../shared/usecases/follow-up-pending.js';
import { resendStalledActivations } from '../../shared/usecases/resend-stalled-activations.js';
import { warnExpiringGrants } from '../../shared/usecases/warn-expiring-grants.js';
import type { GrantDeps } from '../../shared/usecases/grant-deps.js';
import { sweepExpiredGrants, type SweepReport } from '../../shared/usecases/sweep-expired-grants.js';
import { createGrantWiring } from '../wiring/grant-wiring.js';
import { lambdaEntry } from '../wiring/lambda-entry.js';

/** Stop taking new pages when less than this is left of the invocation: the next run goes on. */
const SAFETY_MARGIN_MS = 10_000;

export interface Sweeper {
  readonly deps: GrantDeps;
  readonly requestDeps: RequestDeps;
  readonly concurrency: number;
  /** When each live grant's ticket was last asked about (grants that end when their ticket closes). */
  readonly ticketChecks?: Map<string, number>;
  readonly logger: Pick<Logger, 'info' | 'error'>;
}

export interface SweepRun {
  readonly sweep: SweepReport;
  /** Absent when it failed or was left to the next run (no time left). */
  readonly followUp?: { renotified: number; timedOut: number };
  /** Approved grants whose hand-off to the worker was sent again (absent as followUp is). */
  readonly resent?: number;
  /** Scheduled grants whose start came and that were handed to the worker (absent as followUp is). */
  readonly started?: number;
  /** Holders warned that their grant ends soon (absent as followUp is). */
  readonly warned?: number;
}

/**
 * One run of the every-minute schedule: end expired grants, then follow up pending requests,
 * hand scheduled grants whose start came to the worker (and resend the hand-off of approved
 * grants the worker never received), and warn holders whose grant ends soon.
 * Both share the invocation's time budget: when the sweep stopped early, or too little time is
 * left after it, the follow-up waits for the next run (a minute later) rather than be cut off.
 */
export function createSweeperHandler(sweeper: Sweeper) {
  return async (
    _event: ScheduledEvent | Record<string, never>,
    context?: Pick<Context, 'getRemainingTimeInMillis'>,
  ): Promise<SweepRun> => {
    const shouldStop = context ? () => context.getRemainingTimeInMillis() < SAFETY_MARGIN_MS : undefined;
    const sweep = await sweepExpiredGrants(sweeper.deps, {
      concurrency: sweeper.concurrency,
      ...(shouldStop ? { shouldStop } : {}),
      ...(sweeper.ticketChecks ? { ticketChecks: sweeper.ticketChecks } : {}),
    });
    sweeper.logger.info('sweep done', { ...sweep });
    if (sweep.stoppedEarly || shouldStop?.()) {
      sweeper.logger.info('pending follow-up left to the next run: no time left', {
        stoppedEarly: sweep.stoppedEarly,
      });
      return { sweep };
    }
    let followUp: SweepRun['followUp'];
    let resent: number | undefined;
    let started: number | undefined;
    let warned: number | undefined;
    try {
      followUp = await followUpPendingRequests(sweeper.requestDeps);
      sweeper.logger.info('pending follow-up done', { ...followUp });
      ({ resent, started } = await resendStalledActivations(sweeper.requestDeps));
      ({ warned } = await warnExpiringGrants(sweeper.requestDeps));
    } catch (error) {
      // Why: a failing follow-up must not hide that the sweep itself ran.
      sweeper.logger.error('pending follow-up failed', { error: (error as Error).message });
    }
    return {
      sweep,
      ...(followUp ? { followUp } : {}),
      ...(resent === undefined ? {} : { resent }),
      ...(started === undefined ? {} : { started }),
      ...(warned === undefined ? {} : { warned }),
    };
  };
}

/** The Lambda entry point of the EventBridge `rate(1 minute)` schedule. Wired on first call. */
export const handler = lambdaEntry<ScheduledEvent, SweepRun>(() => {
  // Why: the sweeper may only remove; the grant worker restores memberships it hands over.
  const wiring = createGrantWiring({ membershipRepairs: 'queue' });
  const run = createSweeperHandler({
    deps: { ...wiring.deps, tickets: wiring.base.integrations.tickets },
    requestDeps: wiring.requestDeps,
    concurrency: wiring.settings.sweepConcurrency,
    ticketChecks: new Map(),
    logger: wiring.base.logger,
  });
  return { logger: wiring.base.logger, metrics: wiring.metrics, run };
});
