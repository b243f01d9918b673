import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { RequestDeps } from '../../shared/usecases/deps.js';
import { followUpPendingRequests } from '../../shared/usecases/follow-up-pending.js';
import type { GrantDeps } from '../../shared/usecases/grant-deps.js';
import { sweepExpiredGrants, type SweepReport } from '../../shared/usecases/sweep-expired-grants.js';
import { createGrantWiring } from '../shared/grant-wiring.js';

/** Stop taking new pages when less than this is left of the invocation: the next run goes on. */
const SAFETY_MARGIN_MS = 10_000;

export interface Sweeper {
  readonly deps: GrantDeps;
  readonly requestDeps: RequestDeps;
  readonly concurrency: number;
  readonly logger: Pick<Logger, 'info' | 'error'>;
}

export interface SweepRun {
  readonly sweep: SweepReport;
  readonly followUp?: { renotified: number; timedOut: number };
}

/** One run of the every-minute schedule: end expired grants, then follow up pending requests. */
export function createSweeperHandler(sweeper: Sweeper) {
  return async (
    _event: ScheduledEvent | Record<string, never>,
    context?: Pick<Context, 'getRemainingTimeInMillis'>,
  ): Promise<SweepRun> => {
    const sweep = await sweepExpiredGrants(sweeper.deps, {
      concurrency: sweeper.concurrency,
      ...(context ? { shouldStop: () => context.getRemainingTimeInMillis() < SAFETY_MARGIN_MS } : {}),
    });
    sweeper.logger.info('sweep done', { ...sweep });
    let followUp: SweepRun['followUp'];
    try {
      followUp = await followUpPendingRequests(sweeper.requestDeps);
      sweeper.logger.info('pending follow-up done', { ...followUp });
    } catch (error) {
      // Why: a failing follow-up must not hide that the sweep itself ran.
      sweeper.logger.error('pending follow-up failed', { error: (error as Error).message });
    }
    return followUp ? { sweep, followUp } : { sweep };
  };
}

let wrapped: ((event: ScheduledEvent, context: Context) => Promise<SweepRun>) | undefined;

function build() {
  // Why: the sweeper may only remove; the grant worker restores memberships it hands over.
  const wiring = createGrantWiring({ membershipRepairs: 'queue' });
  const run = createSweeperHandler({
    deps: wiring.deps,
    requestDeps: wiring.requestDeps,
    concurrency: wiring.settings.sweepConcurrency,
    logger: wiring.base.logger,
  });
  return middy((event: ScheduledEvent, context: Context) => run(event, context))
    .use(injectLambdaContext(wiring.base.logger, { resetKeys: true }))
    .use(logMetrics(wiring.metrics));
}

/** The Lambda entry point of the EventBridge `rate(1 minute)` schedule. Wired on first call. */
export const handler = (event: ScheduledEvent, context: Context): Promise<SweepRun> => {
  wrapped ??= build();
  return wrapped(event, context);
};
