import { decideExtension, decideRequest, type RefusalReason } from '../domain/decision.js';
import { decideStart, type StartRefusal } from '../domain/grant-timing.js';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import { personKey, type ResolvedPerson } from '../domain/person.js';
import { shiftEndFor } from '../domain/on-call.js';
import { newRequest, type AccessRequest } from '../domain/request.js';
import { findTarget } from '../domain/policy.js';
import { allowedAccountIds } from './prepare-forms.js';
import type { TicketRefusal } from '../domain/tickets.js';
import { auditOf } from './audit-events.js';
import { checkTicket, ticketAuditDetail, ticketSnapshot } from './check-ticket.js';
import type { RequestDeps } from './deps.js';
import { approveAutomatically } from './approve-request.js';
import { refusedOutcome, type RefusedOutcome } from './refusals.js';
import { decisionProvenance } from './policy-provenance.js';

export interface SubmitRequestInput {
  readonly requester: ResolvedPerson;
  /** The requester's AWS identity, resolved by the caller (identity mapping). */
  readonly principal: string;
  readonly targetId: string;
  /**
   * The accounts asked for, for a kind granted per account (a permission set): one grant per
   * account under this one approval. The driver checks each against the target at activation.
   */
  readonly accounts?: readonly string[];
  readonly durationSeconds?: number;
  readonly reason?: string;
  readonly ticket?: string;
  /** Makes a retried delivery return the request it already created. */
  readonly idempotencyKey?: string;
  /** For "Extend": the live grant this request adds time to. */
  readonly extendsRequestId?: string;
  /**
   * A scheduled start (within the policy's maxLeadTime): approval happens now, the access at
   * this time. Absent: as soon as approved.
   */
  readonly startsAt?: Date;
}

export type SubmitRequestResult =
  | RefusedOutcome<RefusalReason | StartRefusal | TicketRefusal | 'not-extendable'>
  | { readonly outcome: 'pending' | 'approved'; readonly request: AccessRequest; readonly created: boolean };

/**
 * Submits an access request. The policy decides (refused with its reason, needs approval,
 * or auto-approved); a refused request writes nothing. A new request is written with its
 * audit event; approvers are notified, or an auto-approved grant is handed to the worker.
 * A retried delivery with the same idempotency key changes nothing and returns the first request.
 */
export async function submitRequest(
  deps: RequestDeps,
  input: SubmitRequestInput,
): Promise<SubmitRequestResult> {
  const policy = deps.policy.current();
  const now = deps.clock.now();
  let targetId = input.targetId;
  let accounts = input.accounts;
  let chainStartsAt: string | undefined;
  if (input.extendsRequestId) {
    const original = await deps.store.get(input.extendsRequestId);
    if (!original) throw new NotFoundError(`Grant ${input.extendsRequestId}`);
    const extension = decideExtension(original, personKey(input.requester.person));
    if (!extension.allowed) {
      return { outcome: 'refused', reason: 'not-extendable', message: extension.message };
    }
    targetId = original.targetId;
    // An extension adds time to the grant of one account: that account.
    accounts = original.account === undefined ? undefined : [original.account];
    chainStartsAt = original.chainStartsAt ?? original.startsAt;
  }
  // The account rule is the decision's (decideRequest); the accounts a target reaches are read here.
  const allowedAccounts = await allowedAccountIds(deps, findTarget(policy, targetId));
  const decision = decideRequest(policy, {
    ...input,
    targetId,
    ...(accounts === undefined ? {} : { accounts }),
    ...(allowedAccounts === undefined ? {} : { allowedAccounts }),
  });
  if (!decision.allowed) return refusedOutcome(decision);
  const start = decideStart(policy, { extension: input.extendsRequestId !== undefined, ...input }, now);
  if (!start.allowed) return refusedOutcome(start);
  if (input.principal.trim() === '') throw new ValidationError('The requester has no AWS identity.');
  // Why: an account id becomes part of a grant's id and of the assignment AWS is asked for.
  const badAccount = accounts?.find((a) => !/^\d{12}$/.test(a));
  if (badAccount !== undefined) throw new ValidationError(`"${badAccount}" is not an AWS account id.`);
  const ticketCheck = await checkTicket(deps, decision.target, input, now);
  if (!ticketCheck.allowed) return refusedOutcome(ticketCheck);
  // Auto-approved only as a member of an on-call set: the grant ends with the shift (when the set says so).
  const shiftEndsAt =
    decision.approval === 'auto-approved' && !decision.target.autoApprove
      ? shiftEndFor(policy, decision.target.autoApproveFor ?? [], input.requester)
      : undefined;
  const ticketInfo = ticketSnapshot(ticketCheck);
  const request = newRequest({
    id: deps.ids.newId(now),
    at: now,
    requester: personKey(input.requester.person),
    principal: input.principal,
    targetId,
    targetKind: decision.target.kind,
    ...(accounts === undefined ? {} : { accounts }),
    durationSeconds: decision.durationSeconds,
    ...(input.reason === undefined ? {} : { reason: input.reason }),
    ...(input.ticket === undefined ? {} : { ticket: input.ticket }),
    approvalsRequired: decision.approval === 'needs-approval' ? decision.approvalsRequired : 0,
    ...(input.extendsRequestId ? { extendsRequestId: input.extendsRequestId } : {}),
    ...(chainStartsAt ? { chainStartsAt } : {}),
    ...(start.startsAt ? { scheduledStartsAt: start.startsAt } : {}),
    ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
    ...(shiftEndsAt === undefined ? {} : { shiftEndsAt }),
    ...(ticketInfo === undefined ? {} : { ticketInfo }),
  });
  const provenance = await decisionProvenance(deps.provenance, decision.target, 'request', input.requester);
  const created = await deps.store.create(
    request,
    auditOf(request, 'request.submitted', {
      at: now,
      actor: request.requester,
      to: 'PENDING',
      initial: true,
      detail: {
        durationSeconds: request.durationSeconds,
        decision: decision.reason,
        ...(request.scheduledStartsAt ? { scheduledStartsAt: request.scheduledStartsAt } : {}),
        ...ticketAuditDetail(ticketCheck),
        ...(shiftEndsAt === undefined ? {} : { shiftEndsAt }),
        ...provenance,
      },
    }),
  );
  if (!created.created) {
    // Why: a first delivery that failed between writing the request and auto-approving it
    // left it PENDING; the retry finishes the job (the approval write is conditional).
    if (decision.approval === 'auto-approved' && created.request.status === 'PENDING') {
      const approved = await approveAutomatically(deps, created.request);
      return { outcome: 'approved', request: approved, created: false };
    }
    // Why: the first delivery may have approved but failed to hand the grant off; the worker
    // activates an APPROVED grant once, so sending the job again is safe (a scheduled grant
    // whose start is ahead is handed over by the sweeper at its start).
    if (created.request.status === 'APPROVED' && !startsAhead(created.request, now)) {
      await deps.queue.enqueue({ kind: 'activate', requestId: created.request.id });
    }
    return {
      outcome: created.request.status === 'PENDING' ? 'pending' : 'approved',
      request: created.request,
      created: false,
    };
  }
  if (decision.approval === 'auto-approved') {
    const approved = await approveAutomatically(deps, created.request);
    return { outcome: 'approved', request: approved, created: true };
  }
  await deps.events.publish({ kind: 'approval-needed', request: created.request, reminder: false });
  return { outcome: 'pending', request: created.request, created: true };
}

/** Whether an approved grant's window opens after `now` (a scheduled start not come yet). */
function startsAhead(request: AccessRequest, now: Date): boolean {
  return request.startsAt !== undefined && Date.parse(request.startsAt) > now.getTime();
}
