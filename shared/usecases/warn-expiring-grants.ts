import { decideExpiryWarning } from '../domain/grant-timing.js';
import { isLive } from '../domain/lifecycle.js';
import type { AccessRequest } from '../domain/request.js';
import { auditOf } from './audit-events.js';
import type { RequestDeps } from './deps.js';

/** The actor of the warning's audit event. */
export const EXPIRY_WARNER = 'system:sweeper';

/**
 * Warns holders whose grant ends within the policy's `warnBefore` (default 10 minutes), once
 * per grant: the warning is marked on the grant (`expiryWarnedAt`, with its audit event) by a
 * write conditional on the version read, and only a committed mark publishes `grant-expiring`
 * (the Slack subscriber DMs the end time and the grace "Extend" button). So runs that overlap,
 * repeat or crash half-way warn a holder at most once; a mark that loses a race is left to the
 * next run, which decides again on the fresh record.
 *
 * A grant already followed by a later live grant on the same target (an extension) is not
 * warned about: the access goes on. Run by the sweeper every minute; reads the live-by-end
 * index up to `now + warnBefore` (never a scan).
 */
export async function warnExpiringGrants(deps: RequestDeps): Promise<{ warned: number }> {
  const policy = deps.policy.current();
  const now = deps.clock.now();
  const horizon = new Date(now.getTime() + policy.warnBeforeSeconds * 1000);
  let warned = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.store.listLiveEndingBefore(
      horizon,
      cursor === undefined ? { limit: 100 } : { limit: 100, cursor },
    );
    for (const grant of page.items) {
      if (!decideExpiryWarning(policy, grant, now, false)) continue;
      if (!decideExpiryWarning(policy, grant, now, await extendedBeyond(deps, grant))) continue;
      if (await warn(deps, grant, now)) warned++;
    }
    cursor = page.cursor;
  } while (cursor);
  return { warned };
}

/** Whether another live grant of the same person on the same target ends after this one. */
async function extendedBeyond(deps: RequestDeps, grant: AccessRequest): Promise<boolean> {
  const others = await deps.store.listLiveFor(grant.principal, grant.targetId);
  const end = Date.parse(grant.endsAt ?? '');
  return others.some(
    (g) => g.id !== grant.id && isLive(g.status) && g.endsAt !== undefined && Date.parse(g.endsAt) > end,
  );
}

async function warn(deps: RequestDeps, grant: AccessRequest, now: Date): Promise<boolean> {
  const result = await deps.store.annotate(grant, {
    at: now,
    changes: { expiryWarnedAt: now.toISOString() },
    audit: auditOf(grant, 'grant.expiry-warned', {
      at: now,
      actor: EXPIRY_WARNER,
      detail: { endsAt: grant.endsAt ?? '' },
    }),
  });
  if (!result.ok) return false;
  await deps.events.publish({ kind: 'grant-expiring', request: result.request });
  return true;
}
