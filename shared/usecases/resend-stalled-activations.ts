import type { RequestDeps } from './deps.js';
import { liveGrants } from './live-grants.js';
import { ensureAccountGrants } from './approve-request.js';

/** How long an approved grant may wait for the worker before its hand-off is sent again. */
export const ACTIVATION_STALL_SECONDS = 120;

/**
 * The sweeper's hand-off pass over grants still APPROVED (not yet activated) whose window is
 * open at `now`:
 * - a scheduled grant whose start has come, and was approved before it, is handed to the
 *   worker (`started`): the approval did not, so its clock starts at its start, not before;
 * - any other, handed over (approved, or started) more than {@link ACTIVATION_STALL_SECONDS}
 *   ago, gets its `activate` job again (`resent`). Why: the approval is written before the job
 *   is queued, so a failed send would otherwise leave the grant approved but never granted.
 * - a live request over several accounts whose grant of an account is missing (its creation
 *   failed at approval) gets it created and handed over (`accountGrants`);
 * A grant whose start is still ahead is left alone. Safe to repeat: the worker activates only
 * an APPROVED grant whose window is open, once. Run by the sweeper every minute; reads the
 * live-grants index.
 */
export async function resendStalledActivations(
  deps: Pick<RequestDeps, 'store' | 'queue' | 'clock' | 'logger'>,
): Promise<{ resent: number; started: number; accountGrants: number }> {
  const now = deps.clock.now().getTime();
  const stalledBefore = now - ACTIVATION_STALL_SECONDS * 1000;
  let resent = 0;
  let started = 0;
  let accountGrants = 0;
  for await (const grant of liveGrants(deps.store)) {
    if ((grant.accounts?.length ?? 0) > 1 && grant.endsAt !== undefined && Date.parse(grant.endsAt) > now)
      accountGrants += await ensureAccountGrants(deps, grant);
    if (grant.status !== 'APPROVED' || grant.endsAt === undefined || Date.parse(grant.endsAt) <= now)
      continue;
    const approvedAt = Date.parse(grant.decidedAt ?? grant.updatedAt);
    const startsAt = grant.startsAt === undefined ? approvedAt : Date.parse(grant.startsAt);
    if (startsAt > now) continue;
    const handedOverAt = Math.max(approvedAt, startsAt);
    if (startsAt > approvedAt && handedOverAt > stalledBefore) {
      await deps.queue.enqueue({ kind: 'activate', requestId: grant.id });
      deps.logger.info('scheduled grant started; handed to the worker', { requestId: grant.id });
      started++;
    } else if (handedOverAt <= stalledBefore) {
      await deps.queue.enqueue({ kind: 'activate', requestId: grant.id });
      deps.logger.warn('activation stalled; hand-off sent again', { requestId: grant.id });
      resent++;
    }
  }
  return { resent, started, accountGrants };
}
