import type { AuditDetail } from '../domain/audit.js';
import type { Target } from '../domain/policy.js';
import type { ResolvedPerson } from '../domain/person.js';
import { personKey } from '../domain/person.js';
import type { TicketSnapshot } from '../domain/request.js';
import {
  decideTicket,
  ticketSystemLabel,
  type TicketDecision,
  type TicketLookup,
  type TicketSystemName,
} from '../domain/tickets.js';
import type { RequestDeps } from './deps.js';

/** What the ticket check of a request answers: the decision, and what was asked. */
export type TicketCheck =
  | (TicketDecision & { readonly system: TicketSystemName })
  | { readonly allowed: true; readonly reason: 'no-ticket-check' };

/**
 * Asks the target's ticket system about the request's ticket and decides (decideTicket).
 * Targets without a `ticket:` check, and requests without a ticket (the pattern rules already
 * said whether one is needed), are not asked. A lookup that throws is "unreachable": a refusal
 * or the policy's explicit fallback, never a pass. A refusal is audited (`request.refused`,
 * with its reason) although no request is written: an auditor sees who was turned away and why.
 */
export async function checkTicket(
  deps: Pick<RequestDeps, 'tickets' | 'audit' | 'ids' | 'logger'>,
  target: Target,
  input: { readonly requester: ResolvedPerson; readonly principal: string; readonly ticket?: string },
  now: Date,
): Promise<TicketCheck> {
  const rule = target.ticket;
  const key = input.ticket?.trim() ?? '';
  if (!rule || key === '') return { allowed: true, reason: 'no-ticket-check' };
  const lookup = await lookUpTicket(deps, rule, key);
  const decision = decideTicket(rule, key, lookup, input.requester);
  if (lookup.kind === 'unreachable') {
    deps.logger.warn('ticket system unreachable', {
      system: rule.system,
      targetId: target.id,
      outcome: decision.reason,
      error: lookup.problem,
    });
  }
  if (!decision.allowed) {
    await deps.audit.append({
      type: 'request.refused',
      at: now.toISOString(),
      actor: personKey(input.requester.person),
      subject: personKey(input.requester.person),
      principal: input.principal,
      targetId: target.id,
      requestId: deps.ids.newId(now),
      reason: decision.message,
      ticket: key,
      breakGlass: false,
      detail: { decision: decision.reason, ticketSystem: rule.system },
    });
  }
  return { ...decision, system: rule.system };
}

async function lookUpTicket(
  deps: Pick<RequestDeps, 'tickets'>,
  rule: NonNullable<Target['ticket']>,
  key: string,
): Promise<TicketLookup> {
  if (!deps.tickets) {
    return { kind: 'unreachable', problem: `no ${ticketSystemLabel(rule.system)} connection is configured` };
  }
  try {
    const ticket = await deps.tickets.find(rule, key);
    return ticket ? { kind: 'found', ticket } : { kind: 'not-found' };
  } catch (error) {
    return { kind: 'unreachable', problem: (error as Error).message };
  }
}

/** What the request keeps of a checked ticket, for the approval message. */
export function ticketSnapshot(check: TicketCheck): TicketSnapshot | undefined {
  if (!check.allowed || check.reason === 'no-ticket-check') return undefined;
  if (check.ticket) {
    const { system, title, status, url } = check.ticket;
    return { system, title, status, url };
  }
  return check.warning === undefined
    ? undefined
    : { system: check.system, title: '', status: 'not checked', url: '', warning: check.warning };
}

/** The ticket check as the submission's audit event records it. */
export function ticketAuditDetail(check: TicketCheck): AuditDetail {
  if (!check.allowed || check.reason === 'no-ticket-check') return {};
  return {
    ticketCheck: check.reason,
    ...(check.ticket ? { ticketStatus: check.ticket.status, ticketSystem: check.ticket.system } : {}),
    ...(check.warning ? { ticketWarning: check.warning } : {}),
  };
}
