import pLimit from 'p-limit';
import type { Page } from '../domain/ports.js';
import { SealRetryError } from '../domain/grant-ports.js';
import type { AccessRequest } from '../domain/request.js';
import { ACTORS, type GrantDeps } from './grant-deps.js';
import { overdueSeconds, recordRevokeFailure, recordSealRetry, revokeAlertDue } from './revoke-failures.js';
import { endGrant } from './revoke-grant.js';
import { endGrantsOfClosedTickets } from './end-closed-ticket-grants.js';

export interface SweepOptions {
  /** How many grants are ended at the same time (IAM calls in flight). */
  readonly concurrency: number;
  /** Grants read per index query. */
  readonly pageSize?: number;
  /**
   * The run's time budget (the Lambda's remaining time): once it says stop, no new grant is
   * started and no new page read; the grants left are found by the next run.
   */
  readonly shouldStop?: () => boolean;
  /** Also prune role deny lists (default true). */
  readonly pruneDenyLists?: boolean;
  /**
   * Memory of when each grant's ticket was last asked about (see endGrantsOfClosedTickets);
   * absent: tickets are not checked by this run.
   */
  readonly ticketChecks?: Map<string, number>;
}

export interface SweepReport {
  /** Grants due (past their end, or with an early end requested) that this run looked at. */
  readonly examined: number;
  /** Grants ended (EXPIRED, REVOKED when asked, FAILED if never activated) after IAM confirmed. */
  readonly ended: number;
  /** Grants whose revoke failed: they stay live-and-overdue and are retried next run. */
  readonly failed: number;
  /** Already ended or extended meanwhile. */
  readonly skipped: number;
  /** Deny-list statements pruned. */
  readonly pruned: number;
  /** Whether the run stopped early (time budget); what is left is done next run. */
  readonly stoppedEarly: boolean;
  /** Grants of the pages read that were not started because the budget was spent. */
  readonly left: number;
}

/**
 * The sweeper (EventBridge, every minute): ends every live grant that is due: its window has
 * closed, or an early end (release, revoke) was requested and is not yet confirmed.
 *
 * - Finds them through the live-by-end index (never a scan), earliest due first, page by
 *   page, and ends them with bounded concurrency. A requested early end is ended as that
 *   release or revoke in the name of who asked (see endGrant), and retried every run until
 *   IAM confirms: no queue delivery limit can drop it.
 * - A grant becomes EXPIRED only after IAM confirmed (see endGrant). A grant whose revoke
 *   fails stays live-and-overdue, is recorded (audit, `RevokeFailures` metric, a
 *   revoke-failing notice now and then) and is found again by the next run.
 * - Nothing is held between runs: a run killed half-way leaves grants either ended or
 *   still live, and the next run finishes them (the IAM calls are idempotent, the state
 *   writes conditional).
 * - Deny-list statements of role targets that can no longer matter are pruned.
 */
export async function sweepExpiredGrants(deps: GrantDeps, options: SweepOptions): Promise<SweepReport> {
  if (options.ticketChecks) {
    // First, so a grant whose ticket just closed is ended by this very run.
    await endGrantsOfClosedTickets(deps, { lastChecked: options.ticketChecks }).catch((error: unknown) =>
      deps.logger.warn('ticket checks failed', { error: (error as Error).message }),
    );
  }
  const now = deps.clock.now();
  const pageSize = options.pageSize ?? Math.max(100, options.concurrency * 8);
  const limit = pLimit(Math.max(1, options.concurrency));
  const counts = { examined: 0, ended: 0, failed: 0, skipped: 0, left: 0 };
  let stoppedEarly = false;

  const sweepOne = async (listed: AccessRequest) => {
    // Why per grant: a page of grants whose IAM calls each wait out their deadline could
    // otherwise outlast the invocation; the grants not started stay live for the next run.
    if (stoppedEarly || options.shouldStop?.()) {
      stoppedEarly = true;
      counts.left++;
      return;
    }
    counts.examined++;
    try {
      const result = await endGrant(deps, {
        requestId: listed.id,
        kind: 'expire',
        actor: ACTORS.sweeper,
        reason: 'the grant window ended',
      });
      if (result.outcome === 'ended') counts.ended++;
      else counts.skipped++;
    } catch (error) {
      counts.failed++;
      if (error instanceof SealRetryError) {
        await recordSealRetry(deps, listed, error, { actor: ACTORS.sweeper });
        return;
      }
      await recordRevokeFailure(deps, listed, error, {
        actor: ACTORS.sweeper,
        alert: revokeAlertDue(overdueSeconds(listed, now)),
      });
    }
  };

  const fetchPage = (cursor?: string): Promise<Page<AccessRequest>> =>
    deps.store.listLiveEndingBefore(
      now,
      cursor === undefined ? { limit: pageSize } : { limit: pageSize, cursor },
    );

  let next: Promise<Page<AccessRequest>> | undefined = fetchPage();
  while (next) {
    if (options.shouldStop?.()) {
      stoppedEarly = true;
      break;
    }
    const page: Page<AccessRequest> = await next;
    if (stoppedEarly) break;
    // Read the next page while this one is being revoked.
    next = page.cursor === undefined ? undefined : fetchPage(page.cursor);
    await Promise.all(page.items.map((grant) => limit(() => sweepOne(grant))));
  }
  // Do not leave an unobserved rejection behind when stopping early.
  next?.catch(() => undefined);

  const pruned =
    options.pruneDenyLists === false || stoppedEarly || options.shouldStop?.()
      ? 0
      : await pruneDenyLists(deps, now);
  if (counts.failed > 0 || counts.left > 0) {
    deps.logger.warn('sweep left grants overdue', { failed: counts.failed, left: counts.left });
  }
  return { ...counts, pruned, stoppedEarly };
}

/**
 * Lets each kind clean up what ends left behind (a role's deny-list statements that can no
 * longer matter); a failure is logged by the driver and tried again next run.
 */
async function pruneDenyLists(deps: GrantDeps, now: Date): Promise<number> {
  let removed = 0;
  const targets = deps.policy.current().targets;
  for (const driver of deps.targets.all) {
    if (!driver.prune) continue;
    removed += await driver.prune(
      deps,
      targets.filter((t) => t.kind === driver.kind.kind),
      now,
    );
  }
  return removed;
}
