import { findTarget } from '../domain/policy.js';
import type { AccessRequest } from '../domain/request.js';
import type { TicketSystems } from '../domain/tickets.js';
import type { GrantDeps } from './grant-deps.js';
import { recordEndRequest } from './release-grant.js';

/** The actor of an end asked because the grant's ticket closed. */
export const TICKET_CHECK_ACTOR = 'system:ticket-check';

/** How many tickets one sweep asks about, and how many live grants it looks through. */
export const TICKET_CHECKS_PER_SWEEP = 5;
const LIVE_GRANTS_LOOKED_AT = 200;

export interface ClosedTicketReport {
  /** Tickets asked about this run. */
  readonly checked: number;
  /** Grants whose end was requested because their ticket closed. */
  readonly ending: number;
  /** Tickets the system could not answer for (the grant is kept and asked again later). */
  readonly unreachable: number;
}

/**
 * For targets with `ticket.endWhenClosed`: asks the ticket system about a few live grants'
 * tickets per run (bounded: at most `maxChecks`, the least recently checked first, so every
 * grant's turn comes) and, for a closed one, stores an early end (a revoke by
 * TICKET_CHECK_ACTOR, with its audit event) that the sweeper then drives until AWS confirms.
 * An unanswered lookup ends nothing: a grant is never taken away on a guess, and the ticket
 * is asked again on a later run. `lastChecked` (ticket key → ms) is the caller's memory
 * between runs (a warm function's, reset on a cold start: then every grant is due at once).
 */
export async function endGrantsOfClosedTickets(
  deps: GrantDeps & { readonly tickets?: TicketSystems },
  options: { readonly maxChecks?: number; readonly lastChecked: Map<string, number> },
): Promise<ClosedTicketReport> {
  const report = { checked: 0, ending: 0, unreachable: 0 };
  const tickets = deps.tickets;
  const policy = deps.policy.current();
  if (!tickets || !policy.targets.some((t) => t.ticket?.endWhenClosed)) return report;
  const now = deps.clock.now();
  const horizon = Math.max(...policy.targets.map((t) => t.maxDurationSeconds)) * 2;
  const page = await deps.store.listLiveEndingBefore(new Date(now.getTime() + horizon * 1000), {
    limit: LIVE_GRANTS_LOOKED_AT,
  });
  const watched = page.items.filter(
    (g): g is AccessRequest & { ticket: string } =>
      g.ticket !== undefined &&
      g.endRequest === undefined &&
      endsWithTicket(g) &&
      findTarget(policy, g.targetId)?.ticket?.endWhenClosed === true,
  );
  const order = (g: { targetId: string; ticket: string }) =>
    options.lastChecked.get(`${g.targetId}|${g.ticket}`) ?? 0;
  watched.sort((a, b) => order(a) - order(b));
  for (const grant of watched.slice(0, options.maxChecks ?? TICKET_CHECKS_PER_SWEEP)) {
    const rule = findTarget(policy, grant.targetId)?.ticket;
    if (!rule) continue;
    options.lastChecked.set(`${grant.targetId}|${grant.ticket}`, now.getTime());
    report.checked++;
    let open: boolean;
    try {
      const ticket = await tickets.find(rule, grant.ticket);
      // A state the broker cannot tell open or closed is no answer: kept, asked again, like unreachable.
      if (ticket?.open === 'unknown') throw new Error(`${grant.ticket} is in unknown state ${ticket.status}`);
      open = ticket?.open ?? false;
    } catch (error) {
      report.unreachable++;
      deps.logger.warn('ticket system unreachable; grant kept, asked again later', {
        requestId: grant.id,
        system: rule.system,
        error: (error as Error).message,
      });
      continue;
    }
    if (open) continue;
    await recordEndRequest(deps, grant.id, {
      kind: 'revoke',
      by: TICKET_CHECK_ACTOR,
      reason: `ticket ${grant.ticket} is closed`,
    });
    report.ending++;
  }
  if (options.lastChecked.size > 10_000) options.lastChecked.clear();
  return report;
}

/**
 * Whether a grant ends when its ticket closes. Why not every break-glass grant: one that went
 * ahead on a ticket its system did not confirm open (closed, missing, not the responder's,
 * unreachable) would be taken away by the next sweep, which is the block break-glass skips.
 */
function endsWithTicket(grant: AccessRequest): boolean {
  if (!grant.breakGlass) return true;
  return grant.ticketInfo !== undefined && grant.ticketInfo.warning === undefined;
}
