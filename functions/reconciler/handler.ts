import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { GrantDeps } from '../../shared/usecases/grant-deps.js';
import { reconcileGroups, type ReconcileReport } from '../../shared/usecases/reconcile-groups.js';
import { createGrantWiring } from '../wiring/grant-wiring.js';
import { lambdaEntry } from '../wiring/lambda-entry.js';

export interface Reconciler {
  readonly deps: GrantDeps;
  /** Remove standing members (RECONCILE_REMOVE), or only report them. */
  readonly remove: boolean;
  readonly logger: Pick<Logger, 'info'>;
}

/**
 * Stop starting groups when less than this is left of the invocation: one group's calls
 * (GetGroup pages, removals) each give up within their deadline (see aws/clients.ts).
 */
const SAFETY_MARGIN_MS = 20_000;

/**
 * One scheduled run: compare managed groups with live grants, report (and maybe remove) drift.
 * Bounded by the invocation's remaining time; the groups left wait for the next run.
 */
export function createReconcilerHandler(reconciler: Reconciler) {
  return async (context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<ReconcileReport> => {
    const report = await reconcileGroups(reconciler.deps, {
      remove: reconciler.remove,
      ...(context ? { shouldStop: () => context.getRemainingTimeInMillis() < SAFETY_MARGIN_MS } : {}),
    });
    reconciler.logger.info('reconcile done', {
      groupsChecked: report.groupsChecked,
      groupsFailed: report.groupsFailed,
      groupsLeft: report.groupsLeft,
      drift: report.findings.length,
      removed: report.findings.filter((f) => f.removed).length,
    });
    return report;
  };
}

/** The Lambda entry point of the reconciler's schedule. Wired on first call. */
export const handler = lambdaEntry<ScheduledEvent, ReconcileReport>(() => {
  // Restores of missing memberships go to the grant worker: the reconciler never adds to a group.
  const wiring = createGrantWiring({ membershipRepairs: 'queue' });
  const run = createReconcilerHandler({
    deps: wiring.deps,
    remove: wiring.settings.reconcileRemove,
    logger: wiring.base.logger,
  });
  return { logger: wiring.base.logger, metrics: wiring.metrics, run: (_event, context) => run(context) };
});
