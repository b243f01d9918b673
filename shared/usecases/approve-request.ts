import {
  decideApproval,
  decideDenial,
  isScheduledAhead,
  noteProblem,
  type ApprovalRefusal,
} from '../domain/decision.js';
import { AlreadyDecidedError, NotFoundError, ValidationError } from '../domain/errors.js';
import { openWindow, windowOnApproval } from '../domain/grant-window.js';
import { clampToShift } from '../domain/on-call.js';
import { findTarget } from '../domain/policy.js';
import { personKey, type ResolvedPerson } from '../domain/person.js';
import { accountGrantOf, type AccessRequest } from '../domain/request.js';
import type { AuditDetail } from '../domain/audit.js';
import { auditOf } from './audit-events.js';
import type { RequestDeps } from './deps.js';
import { refusedOutcome } from './refusals.js';
import { retryOnConflict } from './retry-on-conflict.js';
import { decisionProvenance } from './policy-provenance.js';

export type ApproveResult =
  | { readonly outcome: 'refused'; readonly reason: ApprovalRefusal; readonly message: string }
  | {
      readonly outcome: 'recorded';
      readonly request: AccessRequest;
      /** Approvals of the stage this approval counted for, and what that stage needs. */
      readonly approvals: number;
      readonly required: number;
      /** That stage (1-based) of how many; `stageComplete` when it moved the request on. */
      readonly stage: number;
      readonly stages: number;
      readonly stageComplete: boolean;
    }
  | { readonly outcome: 'approved'; readonly request: AccessRequest };

async function load(deps: RequestDeps, requestId: string): Promise<AccessRequest> {
  const request = await deps.store.get(requestId);
  if (!request) throw new NotFoundError(`Request ${requestId}`);
  return request;
}

/**
 * The grant window of the PENDING → APPROVED step, shared by approvals and auto-approval. A
 * scheduled request gets the window it asked for: its clock never starts at the approval.
 */
async function approvedChanges(deps: RequestDeps, request: AccessRequest, now: Date) {
  if (request.scheduledStartsAt) {
    const window = openWindow(new Date(request.scheduledStartsAt), request.durationSeconds);
    return { startsAt: window.startsAt.toISOString(), endsAt: window.endsAt.toISOString() };
  }
  const target = findTarget(deps.policy.current(), request.targetId);
  const maxSeconds = target?.maxDurationSeconds ?? request.durationSeconds;
  let extending: { endsAt: Date } | undefined;
  if (request.extendsRequestId) {
    const original = await deps.store.get(request.extendsRequestId);
    if (original?.endsAt && (original.status === 'ACTIVE' || original.status === 'APPROVED')) {
      extending = { endsAt: new Date(original.endsAt) };
    }
  }
  const window = windowOnApproval(now, request.durationSeconds, maxSeconds, extending);
  // Why: access given because the requester is on call never outlives their shift.
  return {
    startsAt: window.startsAt.toISOString(),
    endsAt: clampToShift(window.endsAt.toISOString(), request.shiftEndsAt),
  };
}

/** The grant window as the audit trail records it: auditors read "until when" from here. */
export function windowDetail(
  window: { startsAt: string; endsAt: string },
  request: Pick<AccessRequest, 'extendsRequestId' | 'scheduledStartsAt' | 'grace' | 'shiftEndsAt'>,
): Record<string, string | boolean> {
  return {
    startsAt: window.startsAt,
    endsAt: window.endsAt,
    ...(request.extendsRequestId ? { extendsRequestId: request.extendsRequestId } : {}),
    ...(request.scheduledStartsAt ? { scheduled: true } : {}),
    ...(request.grace ? { grace: true } : {}),
    ...(request.shiftEndsAt ? { shiftEndsAt: request.shiftEndsAt } : {}),
  };
}

/**
 * Hands an approved grant to the worker, unless its start is still ahead: a scheduled grant is
 * handed over by the sweeper once its start has come (see resendStalledActivations).
 */
async function afterApproval(deps: RequestDeps, request: AccessRequest): Promise<void> {
  await grantOtherAccounts(deps, request);
  if (!isScheduledAhead(request, deps.clock.now()))
    await deps.queue.enqueue({ kind: 'activate', requestId: request.id });
  await deps.events.publish({ kind: 'request-approved', request });
}

/**
 * A request over several accounts: its approval approves one grant per account (each its own
 * grant, activated, ended and audited on its own). The others are created APPROVED with the
 * same window; a retry finds them already there and only hands them to the worker again.
 * Why one account at a time: a failure to create one account's grant (a throttled write) must
 * not keep the others, or the first, from the worker; it is logged and the sweeper creates it
 * later (ensureAccountGrants), so it is retried and visible, never silently missing.
 */
async function grantOtherAccounts(deps: RequestDeps, approved: AccessRequest): Promise<void> {
  for (const account of approved.accounts ?? []) {
    if (account === approved.account) continue;
    try {
      const created = await createAccountGrant(deps, approved, account, {});
      if (created.status === 'APPROVED') {
        await deps.queue.enqueue({ kind: 'activate', requestId: created.id });
      }
    } catch (error) {
      deps.logger.warn('account grant not created; the sweeper creates it again', {
        requestId: approved.id,
        account,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}

/** Writes the APPROVED grant of `approved` for one more `account` (or finds it there). */
async function createAccountGrant(
  deps: Pick<RequestDeps, 'store' | 'clock'>,
  approved: AccessRequest,
  account: string,
  extra: AuditDetail,
): Promise<AccessRequest> {
  const now = deps.clock.now();
  const grant = accountGrantOf(approved, account, now);
  const created = await deps.store.create(
    grant,
    auditOf(grant, 'request.approved', {
      at: now,
      actor: approved.decidedBy ?? 'system:auto-approval',
      to: 'APPROVED',
      initial: true,
      approvers: approved.approvals.map((a) => a.approver),
      detail: {
        account,
        approvedWith: approved.id,
        ...(approved.startsAt && approved.endsAt
          ? windowDetail({ startsAt: approved.startsAt, endsAt: approved.endsAt }, approved)
          : {}),
        ...extra,
      },
    }),
  );
  return created.request;
}

/**
 * The sweeper's repair of a live request over several accounts: creates (APPROVED, handed to
 * the worker) the grant of each of its accounts that is missing, as its approval would have;
 * a failure is logged and tried again on the next sweep, for as long as the request is live.
 * Returns how many it created. Reads one item per other account; writes only what is missing.
 */
export async function ensureAccountGrants(
  deps: Pick<RequestDeps, 'store' | 'clock' | 'queue' | 'logger'>,
  head: AccessRequest,
): Promise<number> {
  // Why: a request being ended early gets no new grants; the others follow its approval, not its activation.
  if (head.endRequest) return 0;
  const { expiryWarnedAt: _warned, graceExtendedBy: _grace, failureReason: _failure, ...approval } = head;
  const approved: AccessRequest = { ...approval, status: 'APPROVED' };
  let created = 0;
  for (const account of head.accounts ?? []) {
    if (account === head.account) continue;
    try {
      if (await deps.store.get(accountGrantOf(head, account, deps.clock.now()).id)) continue;
      const grant = await createAccountGrant(deps, approved, account, { createdLate: true });
      if (grant.status === 'APPROVED') await deps.queue.enqueue({ kind: 'activate', requestId: grant.id });
      deps.logger.warn('missing account grant created by the sweeper', {
        requestId: head.id,
        account,
        grantId: grant.id,
      });
      created++;
    } catch (error) {
      deps.logger.warn('account grant still not created; tried again next sweep', {
        requestId: head.id,
        account,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return created;
}

/**
 * Records one approval. Approvals count distinct approvers of the current stage who are not
 * the requester (unless the rule allows self-approval); the approval that completes a stage
 * moves the request to the next (its approvers are asked), and the one that completes the
 * last stage moves it to APPROVED, opens its grant window and hands it to the grant worker.
 * Concurrent approvals, double clicks and retries yield exactly one transition each:
 * a loser re-reads and is told the request is already decided (AlreadyDecidedError) or
 * that it already approved.
 */
export async function approveRequest(
  deps: RequestDeps,
  input: { readonly requestId: string; readonly approver: ResolvedPerson },
): Promise<ApproveResult> {
  const policy = deps.policy.current();
  const approver = personKey(input.approver.person);
  // A lost race re-reads and decides again: the loser is told it is decided, or already approved.
  return retryOnConflict<Approving, ApproveResult>({
    read: () => load(deps, input.requestId),
    decide: async (request) => {
      const decision = decideApproval(policy, request, input.approver);
      if (!decision.allowed) {
        if (decision.reason === 'not-pending') throw new AlreadyDecidedError(request.status);
        return { done: refusedOutcome(decision) };
      }
      const now = deps.clock.now();
      const window = decision.complete ? await approvedChanges(deps, request, now) : undefined;
      const target = findTarget(policy, request.targetId);
      const provenance = await decisionProvenance(deps.provenance, target, 'approval', input.approver);
      return { write: { decision, now, provenance, ...(window ? { window } : {}) } };
    },
    write: (request, { decision, now, window, provenance }) => {
      // Requests of one stage keep their approvals as they always were; stages mark theirs.
      const staged = decision.stages > 1;
      const approval = { approver, at: now.toISOString(), ...(staged ? { stage: decision.stage } : {}) };
      const approvals = [...request.approvals, approval];
      const approvers = approvals.map((a) => a.approver);
      const stageDetail: AuditDetail = staged ? { stage: decision.stage + 1, stages: decision.stages } : {};
      if (window) {
        return deps.store.transition(request, {
          to: 'APPROVED',
          at: now,
          changes: { approvals, decidedBy: approver, decidedAt: now.toISOString(), ...window },
          audit: auditOf(request, 'request.approved', {
            at: now,
            actor: approver,
            to: 'APPROVED',
            approvers,
            detail: { ...windowDetail(window, request), ...stageDetail, ...provenance },
          }),
        });
      }
      // The approval that completes a stage (not the last) moves the request to the next one.
      const nextStage = decision.stageComplete
        ? { stage: decision.stage + 1, stageStartedAt: now.toISOString() }
        : {};
      return deps.store.transition(request, {
        to: 'PENDING',
        at: now,
        changes: { approvals, ...nextStage },
        audit: auditOf(request, 'request.approval-recorded', {
          at: now,
          actor: approver,
          to: 'PENDING',
          approvers,
          detail: {
            approvals: decision.approvals,
            approvalsRequired: decision.approvalsRequired,
            ...stageDetail,
            ...(staged ? { stageComplete: decision.stageComplete } : {}),
            ...provenance,
          },
        }),
      });
    },
    committed: async (written, { decision }) => {
      if (decision.complete) {
        await afterApproval(deps, written);
        return { outcome: 'approved', request: written };
      }
      await deps.events.publish({ kind: 'approval-recorded', request: written, approver });
      // The next stage's approvers are asked as the first ones were.
      if (decision.stageComplete) {
        await deps.events.publish({ kind: 'approval-needed', request: written, reminder: false });
      }
      return {
        outcome: 'recorded',
        request: written,
        approvals: decision.approvals,
        required: decision.approvalsRequired,
        stage: decision.stage + 1,
        stages: decision.stages,
        stageComplete: decision.stageComplete,
      };
    },
    exhausted: async () => {
      const latest = await load(deps, input.requestId);
      throw new AlreadyDecidedError(latest.status);
    },
  });
}

/** What an approval writes: the allowed decision, its time, and the window once complete. */
interface Approving {
  readonly decision: Extract<ReturnType<typeof decideApproval>, { allowed: true }>;
  readonly now: Date;
  readonly window?: { readonly startsAt: string; readonly endsAt: string };
  /** The policy version and rule that decided (empty without provenance). */
  readonly provenance: AuditDetail;
}

/** Who approves without approvers: an auto-approved target, or a grace extension within budget. */
export const AUTOMATIC_APPROVERS = {
  autoApproval: { actor: 'system:auto-approval', reason: 'auto-approval' },
  graceExtension: { actor: 'system:grace-extension', reason: 'grace-extension' },
} as const;

/** PENDING → APPROVED for an auto-approved target (or a grace extension), with the system as the approver. */
export async function approveAutomatically(
  deps: RequestDeps,
  request: AccessRequest,
  by: (typeof AUTOMATIC_APPROVERS)[keyof typeof AUTOMATIC_APPROVERS] = AUTOMATIC_APPROVERS.autoApproval,
): Promise<AccessRequest> {
  const now = deps.clock.now();
  const window = await approvedChanges(deps, request, now);
  const result = await deps.store.transition(request, {
    to: 'APPROVED',
    at: now,
    changes: {
      decidedBy: by.actor,
      decidedAt: now.toISOString(),
      decisionReason: by.reason,
      ...window,
    },
    audit: auditOf(request, 'request.auto-approved', {
      at: now,
      actor: by.actor,
      to: 'APPROVED',
      detail: windowDetail(window, request),
    }),
  });
  if (!result.ok) throw new AlreadyDecidedError(result.current.status);
  await afterApproval(deps, result.request);
  return result.request;
}

export type DenyResult =
  | { readonly outcome: 'refused'; readonly reason: ApprovalRefusal; readonly message: string }
  | { readonly outcome: 'denied'; readonly request: AccessRequest };

/** PENDING → DENIED by one of the rule's approvers, with a reason; the requester is told. */
export async function denyRequest(
  deps: RequestDeps,
  input: { readonly requestId: string; readonly approver: ResolvedPerson; readonly reason: string },
): Promise<DenyResult> {
  const policy = deps.policy.current();
  const reason = input.reason.trim();
  const problem = noteProblem('A reason', reason);
  if (problem) throw new ValidationError(problem);
  // An approval landing meanwhile is a conflict: re-read and decide again.
  return retryOnConflict<{ now: Date; provenance: AuditDetail }, DenyResult>({
    read: () => load(deps, input.requestId),
    decide: async (request) => {
      const allowed = decideDenial(policy, request, input.approver);
      if (!allowed.allowed) {
        if (allowed.reason === 'not-pending') throw new AlreadyDecidedError(request.status);
        return { done: { outcome: 'refused', reason: allowed.reason, message: allowed.message } };
      }
      const target = findTarget(policy, request.targetId);
      const provenance = await decisionProvenance(deps.provenance, target, 'denial', input.approver);
      return { write: { now: deps.clock.now(), provenance } };
    },
    write: (request, { now, provenance }) =>
      deps.store.transition(request, {
        to: 'DENIED',
        at: now,
        changes: {
          decidedBy: personKey(input.approver.person),
          decidedAt: now.toISOString(),
          decisionReason: reason,
        },
        audit: auditOf(request, 'request.denied', {
          at: now,
          actor: personKey(input.approver.person),
          to: 'DENIED',
          reason,
          ...(Object.keys(provenance).length > 0 ? { detail: provenance } : {}),
        }),
      }),
    committed: async (denied) => {
      await deps.events.publish({ kind: 'request-denied', request: denied });
      return { outcome: 'denied', request: denied };
    },
    exhausted: async () => {
      throw new AlreadyDecidedError((await load(deps, input.requestId)).status);
    },
  });
}
