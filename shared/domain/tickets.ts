import type { Refusal } from './decision.js';
import type { ResolvedPerson } from './person.js';

/**
 * Ticket checks beyond the pattern: a target may require the ticket a request names to exist
 * and be open in Jira or ServiceNow (and optionally be assigned to the requester), and may end
 * the grant once the ticket closes. The lookup is I/O (a TicketSystems adapter); what its
 * answer means is decided here, as a pure function with its reason.
 */

/** The ticket systems a target can check its tickets in. */
export const TICKET_SYSTEMS = ['jira', 'servicenow'] as const;
export type TicketSystemName = (typeof TICKET_SYSTEMS)[number];

/** What to do when the ticket system cannot be asked (timeout, 5xx, refused credentials). */
export const TICKET_UNREACHABLE_POLICIES = ['refuse', 'allow-with-warning'] as const;
export type TicketUnreachablePolicy = (typeof TICKET_UNREACHABLE_POLICIES)[number];

/** A target's ticket check, as the policy's `ticket:` block says. */
export interface TicketRule {
  readonly system: TicketSystemName;
  /** ServiceNow table the ticket lives in (`incident`, `change_request`...); Jira ignores it. */
  readonly table?: string;
  readonly mustBeOpen: boolean;
  readonly assignedToRequester: boolean;
  /** The sweeper ends the grant once the ticket is closed. */
  readonly endWhenClosed: boolean;
  readonly onUnreachable: TicketUnreachablePolicy;
}

/** A ticket as its system describes it. Display fields only: nothing secret. */
export interface TicketFacts {
  readonly system: TicketSystemName;
  readonly key: string;
  readonly title: string;
  /** The status as the system names it (`In Progress`; a bare number when it has no name). */
  readonly status: string;
  /**
   * Whether the system considers it open (not done, resolved, closed or cancelled); `unknown`
   * when its state is none the broker knows (a custom ServiceNow state), which is never open.
   */
  readonly open: boolean | 'unknown';
  /** The assignee's email, when the system gives one. */
  readonly assigneeEmail?: string;
  /** Where a person can read it. */
  readonly url: string;
}

/** What asking the ticket system gave: the ticket, no such ticket, or no answer. */
export type TicketLookup =
  | { readonly kind: 'found'; readonly ticket: TicketFacts }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'unreachable'; readonly problem: string };

/**
 * Looks tickets up in the system a rule names. Invariants: it answers `undefined` only when
 * the system said the ticket does not exist; every other failure (timeout, 5xx, refused
 * credentials, an answer it cannot read) throws, so a failure is never taken for an answer.
 */
export interface TicketSystems {
  find(rule: Pick<TicketRule, 'system' | 'table'>, key: string): Promise<TicketFacts | undefined>;
}

export type TicketRefusal =
  | 'ticket-not-found'
  | 'ticket-closed'
  | 'ticket-not-assigned'
  | 'ticket-system-unreachable'
  | 'ticket-state-unknown';

export type TicketDecision =
  | Refusal<TicketRefusal>
  | {
      readonly allowed: true;
      /** `ticket-verified`: checked and fine; `ticket-unverified`: unreachable, allowed by the policy's fallback. */
      readonly reason: 'ticket-verified' | 'ticket-unverified';
      readonly ticket?: TicketFacts;
      /** Shown to approvers and audited when the ticket could not be checked. */
      readonly warning?: string;
    };

const SYSTEM_LABEL: Readonly<Record<TicketSystemName, string>> = { jira: 'Jira', servicenow: 'ServiceNow' };

/** The system's name for people (`Jira`, `ServiceNow`). */
export function ticketSystemLabel(system: TicketSystemName): string {
  return SYSTEM_LABEL[system];
}

function refuse(reason: TicketRefusal, message: string): Refusal<TicketRefusal> {
  return { allowed: false, reason, message, field: 'ticket' };
}

/**
 * Decides a request's ticket from the system's answer. Why each rule: an unreachable system is
 * never a silent pass (refused, or allowed with a warning only when the policy says so); a
 * closed or missing ticket does not justify access; a state the broker cannot tell open or
 * closed is the policy's fallback like an unreachable system (it was not checked either);
 * "assigned to the requester" compares the assignee's email with the requester's, and an
 * unknown email on either side is a refusal.
 */
export function decideTicket(
  rule: TicketRule,
  key: string,
  lookup: TicketLookup,
  requester: ResolvedPerson,
): TicketDecision {
  const label = ticketSystemLabel(rule.system);
  if (lookup.kind === 'unreachable') {
    if (rule.onUnreachable === 'allow-with-warning') {
      return {
        allowed: true,
        reason: 'ticket-unverified',
        warning: `${label} could not be reached; ${key} was not checked.`,
      };
    }
    return refuse(
      'ticket-system-unreachable',
      `${label} could not be reached to check ${key}; try again in a moment.`,
    );
  }
  if (lookup.kind === 'not-found') return refuse('ticket-not-found', `${key} does not exist in ${label}.`);
  const { ticket } = lookup;
  if (rule.mustBeOpen && ticket.open === false) {
    return refuse('ticket-closed', `${key} is ${ticket.status} in ${label}; access needs an open ticket.`);
  }
  const unknownState = rule.mustBeOpen && ticket.open === 'unknown';
  if (unknownState && rule.onUnreachable === 'refuse') {
    return refuse(
      'ticket-state-unknown',
      `${key} is in state ${ticket.status} in ${label}, which the broker cannot tell open or closed; access needs an open ticket.`,
    );
  }
  if (rule.assignedToRequester) {
    const mine = requester.email?.trim().toLowerCase();
    const assignee = ticket.assigneeEmail?.trim().toLowerCase();
    if (!mine || !assignee || mine !== assignee) {
      return refuse('ticket-not-assigned', `${key} is not assigned to you in ${label}.`);
    }
  }
  if (unknownState) {
    return {
      allowed: true,
      reason: 'ticket-unverified',
      ticket,
      warning: `${key} is in state ${ticket.status} in ${label}, which the broker cannot tell open or closed; it was not checked.`,
    };
  }
  return { allowed: true, reason: 'ticket-verified', ticket };
}
