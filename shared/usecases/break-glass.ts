import { decideBreakGlass, decideReview, noteProblem, type BreakGlassRefusal } from '../domain/decision.js';
import { AlreadyDecidedError, NotAuthorizedError, NotFoundError, ValidationError } from '../domain/errors.js';
import { openWindow } from '../domain/grant-window.js';
import { clampToShift, shiftEndFor } from '../domain/on-call.js';
import { personKey, type ResolvedPerson } from '../domain/person.js';
import { newRequest, type AccessRequest } from '../domain/request.js';
import { auditOf } from './audit-events.js';
import { checkBreakGlassTicket, ticketAuditDetail, ticketSnapshot } from './check-ticket.js';
import { retryOnConflict } from './retry-on-conflict.js';
import type { RequestDeps } from './deps.js';
import { refusedOutcome, type RefusedOutcome } from './refusals.js';
import { decisionProvenance } from './policy-provenance.js';

export type BreakGlassResult =
  /** decideBreakGlass's refusal as is: its reason, message and the form field at fault. */
  | RefusedOutcome<BreakGlassRefusal>
  | { readonly outcome: 'granted'; readonly request: AccessRequest; readonly created: boolean };

/**
 * Break-glass: a listed responder gets a listed target at once, without approval. The grant
 * is written APPROVED with `breakGlass: true` and its window open (the worker makes it
 * ACTIVE once IAM/STS confirm), the security channel gets a loud post, and the grant stays
 * flagged until a reviewer marks it reviewed. A ticket given on a target with a ticket check
 * is checked but never blocks: the outcome is kept on the grant and in its audit event.
 */
export async function breakGlass(
  deps: RequestDeps,
  input: {
    readonly requester: ResolvedPerson;
    readonly principal: string;
    readonly targetId: string;
    readonly durationSeconds?: number;
    readonly reason: string;
    readonly ticket?: string;
    readonly idempotencyKey?: string;
  },
): Promise<BreakGlassResult> {
  const policy = deps.policy.current();
  const decision = decideBreakGlass(policy, input);
  if (!decision.allowed) return refusedOutcome(decision);
  if (input.principal.trim() === '') throw new ValidationError('The requester has no AWS identity.');
  const now = deps.clock.now();
  const window = openWindow(now, decision.durationSeconds);
  // A responder only because on call (with grantsEndWithShift): the access ends with the shift.
  const shiftEndsAt = shiftEndFor(policy, policy.breakGlass?.responders ?? [], input.requester);
  const endsAt = clampToShift(window.endsAt.toISOString(), shiftEndsAt);
  const at = now.toISOString();
  // Never blocks: what the ticket system says is recorded for the reviewers (see checkBreakGlassTicket).
  const ticketCheck = await checkBreakGlassTicket(deps, decision.target, input);
  const ticketInfo = ticketSnapshot(ticketCheck);
  const request: AccessRequest = {
    ...newRequest({
      id: deps.ids.newId(now),
      at: now,
      requester: personKey(input.requester.person),
      principal: input.principal,
      targetId: decision.target.id,
      targetKind: decision.target.kind,
      durationSeconds: decision.durationSeconds,
      reason: input.reason,
      ...(input.ticket === undefined ? {} : { ticket: input.ticket }),
      approvalsRequired: 0,
      ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
      ...(shiftEndsAt === undefined ? {} : { shiftEndsAt }),
      ...(ticketInfo === undefined ? {} : { ticketInfo }),
    }),
    // No approval: granted at once, flagged for review.
    status: 'APPROVED',
    decidedBy: personKey(input.requester.person),
    decidedAt: at,
    decisionReason: 'break-glass',
    startsAt: window.startsAt.toISOString(),
    endsAt,
    breakGlass: true,
  };
  const provenance = await decisionProvenance(
    deps.provenance,
    decision.target,
    'break-glass',
    input.requester,
  );
  const created = await deps.store.create(
    request,
    auditOf(request, 'break-glass.activated', {
      at: now,
      actor: request.requester,
      to: 'APPROVED',
      initial: true,
      detail: {
        startsAt: request.startsAt ?? '',
        endsAt: request.endsAt ?? '',
        ...(shiftEndsAt === undefined ? {} : { shiftEndsAt }),
        ...ticketAuditDetail(ticketCheck),
        ...provenance,
      },
    }),
  );
  if (!created.created) {
    // Why: the first delivery may have failed to hand the grant off; sending again is safe.
    if (created.request.status === 'APPROVED') {
      await deps.queue.enqueue({ kind: 'activate', requestId: created.request.id });
    }
    return { outcome: 'granted', request: created.request, created: false };
  }
  await deps.queue.enqueue({ kind: 'activate', requestId: request.id });
  await deps.events.publish({ kind: 'break-glass', request });
  return { outcome: 'granted', request, created: true };
}

/** Marks a break-glass grant reviewed (any state), by a reviewer who is not its requester. */
export async function reviewBreakGlass(
  deps: RequestDeps,
  input: { readonly requestId: string; readonly reviewer: ResolvedPerson; readonly note?: string },
): Promise<AccessRequest> {
  const note = input.note?.trim();
  const problem = note ? noteProblem('A review note', note) : undefined;
  if (problem) throw new ValidationError(problem);
  // A conflict (a state change, an expiry say) reviews the current version.
  return retryOnConflict<Date, AccessRequest>({
    read: async () => {
      const request = await deps.store.get(input.requestId);
      if (!request) throw new NotFoundError(`Request ${input.requestId}`);
      return request;
    },
    decide: (request) => {
      const allowed = decideReview(deps.policy.current(), request, input.reviewer);
      if (!allowed.allowed) throw new NotAuthorizedError('not-a-reviewer', allowed.message);
      return { write: deps.clock.now() };
    },
    write: (request, now) =>
      deps.store.annotate(request, {
        at: now,
        changes: {
          reviewedBy: personKey(input.reviewer.person),
          reviewedAt: now.toISOString(),
          ...(note ? { reviewNote: note } : {}),
        },
        audit: auditOf(request, 'break-glass.reviewed', {
          at: now,
          actor: personKey(input.reviewer.person),
          ...(note ? { reason: note } : {}),
        }),
      }),
    committed: async (reviewed) => {
      await deps.events.publish({ kind: 'break-glass-reviewed', request: reviewed });
      return reviewed;
    },
    exhausted: () => Promise.reject(new AlreadyDecidedError('changing too fast to review')),
  });
}
