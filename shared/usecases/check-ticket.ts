import type { AuditDetail } from '../domain/audit.js';
import type { Target } from '../domain/policy.js';
import type { ResolvedPerson } from '../domain/person.js';
import { personKey } from '../domain/person.js';
import type { TicketSnapshot } from '../domain/request.js';
import {
  decideTicket,
  ticketSystemLabel,
  type TicketDecision,
  type TicketFacts,
  type TicketLookup,
  type TicketRefusal,
  type TicketSystemName,
} from '../domain/tickets.js';
import type { RequestDeps } from './deps.js';

/** What the ticket check of a request answers: the decision, what was asked, and what was found. */
export type TicketCheck =
  | (TicketDecision & {
      readonly system: TicketSystemName;
      /** The ticket as the system described it, whatever was decided. */
      readonly found?: TicketFacts;
      /** The refusal a break-glass grant went ahead despite (checkBreakGlassTicket). */
      readonly overridden?: TicketRefusal;
    })
  | { readonly allowed: true; readonly reason: 'no-ticket-check' };

/**
 * Asks the target's ticket system about the request's ticket and decides (decideTicket),
 * writing nothing. Targets without a `ticket:` check, and requests without a ticket (the
 * pattern rules already said whether one is needed), are not asked. A lookup that throws is
 * "unreachable": a refusal or the policy's explicit fallback, never a pass.
 */
export async function assessTicket(
  deps: Pick<RequestDeps, 'tickets' | 'logger'>,
  target: Target,
  input: { readonly requester: ResolvedPerson; readonly ticket?: string },
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
  return { ...decision, system: rule.system, ...(lookup.kind === 'found' ? { found: lookup.ticket } : {}) };
}

/**
 * The ticket check of a request ({@link assessTicket}) that may refuse it. A refusal is audited
 * (`request.refused`, with its reason) although no request is written: an auditor sees who was
 * turned away and why.
 */
export async function checkTicket(
  deps: Pick<RequestDeps, 'tickets' | 'audit' | 'ids' | 'logger'>,
  target: Target,
  input: { readonly requester: ResolvedPerson; readonly principal: string; readonly ticket?: string },
  now: Date,
): Promise<TicketCheck> {
  const check = await assessTicket(deps, target, input);
  if (!check.allowed) {
    await deps.audit.append({
      type: 'request.refused',
      at: now.toISOString(),
      actor: personKey(input.requester.person),
      subject: personKey(input.requester.person),
      principal: input.principal,
      targetId: target.id,
      requestId: deps.ids.newId(now),
      reason: check.message,
      ticket: input.ticket?.trim() ?? '',
      breakGlass: false,
      detail: { decision: check.reason, ticketSystem: check.system },
    });
  }
  return check;
}

/**
 * The ticket check of a break-glass grant ({@link assessTicket}), which never blocks it. Why:
 * the responder of an incident may not have a ticket yet, or only a wrong one, and the
 * ticket system may be down with the rest of production; break-glass is bounded and reviewed
 * instead. What the check found (a closed, missing or unassigned ticket, an unreachable
 * system) goes on the grant as a warning for the reviewers and into its audit event.
 */
export async function checkBreakGlassTicket(
  deps: Pick<RequestDeps, 'tickets' | 'logger'>,
  target: Target,
  input: { readonly requester: ResolvedPerson; readonly ticket?: string },
): Promise<TicketCheck> {
  const check = await assessTicket(deps, target, input);
  if (check.allowed) return check;
  return {
    allowed: true,
    reason: 'ticket-unverified',
    system: check.system,
    ...(check.found ? { found: check.found } : {}),
    warning: `Break-glass went ahead without a valid ticket: ${check.message}`,
    overridden: check.reason,
  };
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

/** What the request keeps of a checked ticket, for the approval message and the break-glass alert. */
export function ticketSnapshot(check: TicketCheck): TicketSnapshot | undefined {
  if (!check.allowed || check.reason === 'no-ticket-check') return undefined;
  const facts = check.ticket ?? check.found;
  const warning = check.warning === undefined ? {} : { warning: check.warning };
  if (facts) {
    const { system, title, status, url } = facts;
    return { system, title, status, url, ...warning };
  }
  return check.warning === undefined
    ? undefined
    : { system: check.system, title: '', status: 'not checked', url: '', ...warning };
}

/** The ticket check as the submission's (or break-glass') audit event records it. */
export function ticketAuditDetail(check: TicketCheck): AuditDetail {
  if (!check.allowed || check.reason === 'no-ticket-check') return {};
  const facts = check.ticket ?? check.found;
  return {
    ticketCheck: check.reason,
    ticketSystem: check.system,
    ...(facts ? { ticketStatus: facts.status } : {}),
    ...(check.overridden ? { ticketRefusalOverridden: check.overridden } : {}),
    ...(check.warning ? { ticketWarning: check.warning } : {}),
  };
}
