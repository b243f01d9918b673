import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { ACTIVITY_LOOKBACK_DAYS } from '../../shared/config/activity-settings.js';
import type { SweepWatermarks } from '../../shared/domain/activity.js';
import type { AuditReader } from '../../shared/domain/audit-query.js';
import type { RequestDeps } from '../../shared/usecases/deps.js';
import {
  sweepGrantActivity,
  type ActivityDeps,
  type ActivitySweepOptions,
} from '../../shared/usecases/summarise-activity.js';
import { followUpPendingRequests } from '../../shared/usecases/follow-up-pending.js';
import { resendStalledActivations } from '../../shared/usecases/resend-stalled-activations.js';
import { warnExpiringGrants } from '../../shared/usecases/warn-expiring-grants.js';
import type { GrantDeps } from '../../shared/usecases/grant-deps.js';
import { sweepExpiredGrants, type SweepReport } from '../../shared/usecases/sweep-expired-grants.js';
import { permissionSetAdapters } from '../../shared/targets/permission-set/adapters.js';
import { createActivityWiring } from '../wiring/activity-wiring.js';
import { createGrantWiring } from '../wiring/grant-wiring.js';
import { lambdaEntry } from '../wiring/lambda-entry.js';

/** Stop taking new pages when less than this is left of the invocation: the next run goes on. */
const SAFETY_MARGIN_MS = 10_000;

/** The share of the time left after the other steps that the CloudTrail lookups may wait for their budget. */
const ACTIVITY_SHARE = 0.5;

export interface Sweeper {
  readonly deps: GrantDeps;
  readonly requestDeps: RequestDeps;
  readonly concurrency: number;
  /** When each live grant's ticket was last asked about (grants that end when their ticket closes). */
  readonly ticketChecks?: Map<string, number>;
  readonly logger: Pick<Logger, 'info' | 'error'>;
  /** What was done with ended role grants (CloudTrail); absent: not summarised by this sweeper. */
  readonly activity?: SweeperActivity;
}

/** The activity step of the run: its ports, options and share of the run's time. */
export interface SweeperActivity {
  readonly deps: ActivityDeps & { readonly reader: AuditReader; readonly watermarks?: SweepWatermarks };
  readonly options: Omit<ActivitySweepOptions, 'deadline'>;
  /** The share of the invocation's time left (after the other steps and the margin) the lookups may use. */
  readonly share: number;
  /** Without an invocation context (the local runner): how long the lookups may wait for their budget. */
  readonly budgetMs: number;
}

/** Counts of the activity step (the grant ids are in the log line). */
export interface ActivityRunCounts {
  readonly summarised: number;
  /** Due grants left for the next run: the budget was spent, or a lookup failed. */
  readonly deferred: number;
  readonly skipped: number;
  readonly failed: number;
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
  /** Ended role grants summarised from CloudTrail (absent when not wired or no time was left). */
  readonly activity?: ActivityRunCounts;
}

/**
 * One run of the every-minute schedule: end expired grants, then follow up pending requests,
 * hand scheduled grants whose start came to the worker (and resend the hand-off of approved
 * grants the worker never received), and warn holders whose grant ends soon.
 * Both share the invocation's time budget: when the sweep stopped early, or too little time is
 * left after it, the follow-up waits for the next run (a minute later) rather than be cut off.
 * Last, what was done with ended role grants is looked up in CloudTrail within its share of
 * what is left; what does not fit is deferred to the next run (counted in the result).
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
    const activity = sweeper.activity
      ? await summariseEndedGrants(sweeper.activity, sweeper.logger, context)
      : undefined;
    return {
      sweep,
      ...(activity ? { activity } : {}),
      ...(followUp ? { followUp } : {}),
      ...(resent === undefined ? {} : { resent }),
      ...(started === undefined ? {} : { started }),
      ...(warned === undefined ? {} : { warned }),
    };
  };
}

/**
 * The activity step: a deadline from its share of the time left, then the periodic run.
 * Why it never throws: a CloudTrail or audit-read failure must not hide that the sweep ran.
 */
async function summariseEndedGrants(
  activity: SweeperActivity,
  logger: Sweeper['logger'],
  context: Pick<Context, 'getRemainingTimeInMillis'> | undefined,
): Promise<ActivityRunCounts | undefined> {
  const left = context ? context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS : activity.budgetMs;
  if (left <= 0) {
    logger.info('activity lookups left to the next run: no time left', {});
    return undefined;
  }
  const share = context ? left * activity.share : left;
  const deadline = new Date(activity.deps.clock.now().getTime() + share);
  try {
    const run = await sweepGrantActivity(activity.deps, { ...activity.options, deadline });
    logger.info('activity lookups done', { ...run });
    return {
      summarised: run.summarised.length,
      deferred: run.deferred.length,
      skipped: run.skipped.length,
      failed: run.failed ? 1 : 0,
    };
  } catch (error) {
    logger.error('activity lookups failed', { error: (error as Error).message });
    return undefined;
  }
}

/** The Lambda entry point of the EventBridge `rate(1 minute)` schedule. Wired on first call. */
export const handler = lambdaEntry<ScheduledEvent, SweepRun>(() => {
  // Why: the sweeper may only remove; the grant worker restores memberships it hands over.
  const wiring = createGrantWiring({ membershipRepairs: 'queue' });
  // Identity Center sessions in member accounts are looked up through their agent role.
  const activityWiring = createActivityWiring(wiring.base, wiring.deps.events, {
    sts: wiring.clients.sts,
    permissionSets: permissionSetAdapters(wiring.clients).identityCenter,
  });
  const run = createSweeperHandler({
    deps: { ...wiring.deps, tickets: wiring.base.integrations.tickets },
    requestDeps: wiring.requestDeps,
    concurrency: wiring.settings.sweepConcurrency,
    ticketChecks: new Map(),
    logger: wiring.base.logger,
    activity: {
      deps: activityWiring,
      options: { lookbackDays: ACTIVITY_LOOKBACK_DAYS, settleSeconds: activityWiring.settings.settleSeconds },
      share: ACTIVITY_SHARE,
      budgetMs: 0,
    },
  });
  return { logger: wiring.base.logger, metrics: wiring.metrics, run };
});
