import type { RequestDeps } from './deps.js';
import { liveGrants } from './live-grants.js';

/** How long an approved grant may wait for the worker before its hand-off is sent again. */
export const ACTIVATION_STALL_SECONDS = 120;

/**
 * Backstop of the hand-off: finds grants still APPROVED (not yet activated) whose window is
 * open, approved more than {@link ACTIVATION_STALL_SECONDS} ago, and sends their `activate`
 * job again. Why: the approval is written before the job is queued, so a failed send would
 * otherwise leave the grant approved but never granted. Safe to repeat: the worker activates
 * only an APPROVED grant, once. Run by the sweeper every minute; reads the live-grants index.
 */
export async function resendStalledActivations(
  deps: Pick<RequestDeps, 'store' | 'queue' | 'clock' | 'logger'>,
): Promise<{ resent: number }> {
  const now = deps.clock.now();
  const stalledBefore = now.getTime() - ACTIVATION_STALL_SECONDS * 1000;
  let resent = 0;
  for await (const grant of liveGrants(deps.store)) {
    const approvedAt = Date.parse(grant.decidedAt ?? grant.updatedAt);
    const open = grant.endsAt !== undefined && Date.parse(grant.endsAt) > now.getTime();
    if (grant.status !== 'APPROVED' || !open || approvedAt > stalledBefore) continue;
    await deps.queue.enqueue({ kind: 'activate', requestId: grant.id });
    deps.logger.warn('activation stalled; hand-off sent again', { requestId: grant.id });
    resent++;
  }
  return { resent };
}
