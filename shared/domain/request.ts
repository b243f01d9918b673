import { assertTransition, type RequestStatus } from './lifecycle.js';

/** One approval of a request, by a distinct approver. */
export interface Approval {
  readonly approver: string;
  readonly at: string;
  /** The approval stage it counted for (index; absent: the first, for requests of one stage). */
  readonly stage?: number;
}

/**
 * An early end (release by the holder, revoke by an administrator) that was asked for and is
 * not yet confirmed by AWS. Stored on the grant before any job is queued, so the request
 * survives a job that keeps failing: the sweeper finds the grant due at `at` (see dueAt) and
 * keeps ending it, as this kind and in the name of `by`, until AWS confirms.
 */
export interface EndRequest {
  readonly kind: 'release' | 'revoke';
  /** Who asked: the holder (release) or an administrator (revoke). */
  readonly by: string;
  /** ISO-8601 time of the request. */
  readonly at: string;
  readonly reason: string;
}

/**
 * A request for access and, once approved, the grant it becomes: one record, one lifecycle.
 * Times are ISO-8601 strings in UTC so records sort and compare as text in the store.
 * `version` increases by one on every write; every write is conditional on it.
 */
export interface AccessRequest {
  readonly id: string;
  /** Slack user id of the requester. */
  readonly requester: string;
  /** The requester's AWS identity (an IAM user name, an STS SourceIdentity...: whatever its kind uses). */
  readonly principal: string;
  readonly targetId: string;
  /** A registered target kind (shared/targets/kinds.ts), as the policy named it at submission. */
  readonly targetKind: string;
  /** The AWS account of a kind granted per account (a permission set): one grant per account. */
  readonly account?: string;
  /** Shared by the grants of one request over several accounts (approved together): the first one's id. */
  readonly requestGroup?: string;
  /**
   * Every account a request over several accounts names (on its first grant only, which is
   * the one approvers decide on); its approval creates one grant per other account.
   */
  readonly accounts?: readonly string[];
  readonly durationSeconds: number;
  readonly reason: string;
  readonly ticket?: string;
  readonly status: RequestStatus;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly approvalsRequired: number;
  readonly approvals: readonly Approval[];
  /** Who moved it out of PENDING (approver, denier, canceller) or who revoked it. */
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly decisionReason?: string;
  /** The grant window, set when the grant is approved (or at once for break-glass). */
  readonly startsAt?: string;
  readonly endsAt?: string;
  readonly breakGlass: boolean;
  readonly reviewedBy?: string;
  readonly reviewedAt?: string;
  readonly reviewNote?: string;
  /** When approvers were reminded of a request nobody answered. */
  readonly renotifiedAt?: string;
  readonly failureReason?: string;
  /** The grant this request extends, for an "Extend" request. */
  readonly extendsRequestId?: string;
  /** An early end asked for and not yet confirmed (only while live). */
  readonly endRequest?: EndRequest;
  /**
   * The start the requester asked for (a scheduled grant): approval opens the window here,
   * never at the approval, and the sweeper hands the grant to the worker once it has come.
   */
  readonly scheduledStartsAt?: string;
  /** When the holder was warned that the grant is about to end (written once, conditionally). */
  readonly expiryWarnedAt?: string;
  /** This request is a grace extension (auto-approved within the target's graceExtension). */
  readonly grace?: boolean;
  /** The grace extension that extended this grant (written once, conditionally). */
  readonly graceExtendedBy?: string;
  /** For an extension: when the first grant of the chain it extends started (for maxDuration). */
  readonly chainStartsAt?: string;
  /**
   * Idempotency key of the delivery that created it (a Slack view submission id), so a
   * retried delivery finds the request it already created instead of creating a second.
   */
  readonly idempotencyKey?: string;
  /**
   * When the access was given because the requester is on call and ends with their shift:
   * the shift's end (ISO-8601). The grant window never runs past it.
   */
  readonly shiftEndsAt?: string;
  /** The ticket as its system described it at submission (shown to approvers). */
  readonly ticketInfo?: TicketSnapshot;
  /** Failed seal attempts of this grant's end so far (see SealRetryError); retried while under the bound. */
  readonly sealAttempts?: number;
  /** The approval stage being decided (index into the target's stages; absent: the first). */
  readonly stage?: number;
  /** When the current stage began (absent: at creation), for its escalation deadline. */
  readonly stageStartedAt?: string;
  /** The last stage whose escalation was sent (written once per stage, conditionally). */
  readonly escalatedStage?: number;
}

/** What a request keeps of its checked ticket: enough to show and link it. */
export interface TicketSnapshot {
  readonly system: string;
  readonly title: string;
  readonly status: string;
  readonly url: string;
  /** Set when the system could not be reached and the policy allowed it anyway. */
  readonly warning?: string;
}

/** The fields a transition may change besides status, version and updatedAt. */
export type RequestChanges = Partial<
  Pick<
    AccessRequest,
    | 'approvals'
    | 'decidedBy'
    | 'decidedAt'
    | 'decisionReason'
    | 'startsAt'
    | 'endsAt'
    | 'durationSeconds'
    | 'reviewedBy'
    | 'reviewedAt'
    | 'reviewNote'
    | 'renotifiedAt'
    | 'failureReason'
    | 'endRequest'
    | 'expiryWarnedAt'
    | 'graceExtendedBy'
    | 'stage'
    | 'stageStartedAt'
    | 'escalatedStage'
    | 'sealAttempts'
  >
>;

/** What a new request is made of; everything else starts at its initial value. */
export interface NewRequestFields {
  readonly id: string;
  readonly at: Date;
  readonly requester: string;
  readonly principal: string;
  readonly targetId: string;
  readonly targetKind: string;
  /** The accounts asked for, in order (a kind granted per account); the first is this request's. */
  readonly accounts?: readonly string[];
  readonly durationSeconds: number;
  readonly reason?: string;
  readonly ticket?: string;
  readonly approvalsRequired: number;
  readonly idempotencyKey?: string;
  readonly extendsRequestId?: string;
  readonly scheduledStartsAt?: Date;
  readonly grace?: boolean;
  readonly chainStartsAt?: string;
  readonly shiftEndsAt?: string;
  readonly ticketInfo?: TicketSnapshot;
}

/**
 * A new request at version 1: PENDING with no approvals, reason and ticket trimmed (an
 * empty ticket is no ticket). Break-glass builds on it with its own status and window.
 */
export function newRequest(fields: NewRequestFields): AccessRequest {
  const at = fields.at.toISOString();
  const ticket = fields.ticket?.trim();
  return {
    id: fields.id,
    requester: fields.requester,
    principal: fields.principal,
    targetId: fields.targetId,
    targetKind: fields.targetKind,
    ...accountFields(fields.id, fields.accounts),
    durationSeconds: fields.durationSeconds,
    reason: fields.reason?.trim() ?? '',
    ...(ticket ? { ticket } : {}),
    status: 'PENDING',
    version: 1,
    createdAt: at,
    updatedAt: at,
    approvalsRequired: fields.approvalsRequired,
    approvals: [],
    breakGlass: false,
    ...(fields.extendsRequestId ? { extendsRequestId: fields.extendsRequestId } : {}),
    ...(fields.scheduledStartsAt ? { scheduledStartsAt: fields.scheduledStartsAt.toISOString() } : {}),
    ...(fields.grace ? { grace: true } : {}),
    ...(fields.chainStartsAt ? { chainStartsAt: fields.chainStartsAt } : {}),
    ...(fields.idempotencyKey ? { idempotencyKey: fields.idempotencyKey } : {}),
    ...(fields.shiftEndsAt ? { shiftEndsAt: fields.shiftEndsAt } : {}),
    ...(fields.ticketInfo ? { ticketInfo: fields.ticketInfo } : {}),
  };
}

/** The account fields of a new request: its account, and for several the group and the list. */
function accountFields(
  id: string,
  accounts: readonly string[] | undefined,
): Pick<AccessRequest, 'account' | 'requestGroup' | 'accounts'> {
  const distinct = [...new Set(accounts ?? [])];
  const [first] = distinct;
  if (first === undefined) return {};
  return distinct.length === 1
    ? { account: first }
    : { account: first, requestGroup: id, accounts: distinct };
}

/**
 * The grant of a request over several accounts for one more of its accounts, approved with it:
 * a copy of the approved first grant (its window, approvals and decision) for `account`, with
 * an id derived from the first one's, so creating it again finds the one already there.
 */
export function accountGrantOf(approved: AccessRequest, account: string, at: Date): AccessRequest {
  const { accounts: _all, idempotencyKey: _key, ...rest } = approved;
  return {
    ...rest,
    id: `${approved.id}-${account}`,
    account,
    requestGroup: approved.requestGroup ?? approved.id,
    version: 1,
    createdAt: at.toISOString(),
    updatedAt: at.toISOString(),
  };
}

/**
 * When a live grant is due to end: at the end of its window, or at once once an early end was
 * requested (the earlier of the two). The sweeper ends every live grant due by now.
 */
export function dueAt(grant: Pick<AccessRequest, 'endsAt' | 'endRequest'>): string | undefined {
  const requested = grant.endRequest?.at;
  if (requested === undefined) return grant.endsAt;
  if (grant.endsAt === undefined) return requested;
  return Date.parse(requested) < Date.parse(grant.endsAt) ? requested : grant.endsAt;
}

/** One write to a request: to a new status (a transition) or keeping it (an annotation, no `to`). */
export interface RequestChange {
  readonly to?: RequestStatus;
  readonly at: Date;
  readonly changes?: RequestChanges;
}

/**
 * The record after `change`: its fields applied, the status moved (or kept), the version one
 * higher, `updatedAt` = `change.at`. Throws IllegalTransitionError for a move the lifecycle
 * forbids; both stores call it, so the rule lives here and nowhere else.
 */
export function applyTransition(request: AccessRequest, change: RequestChange): AccessRequest {
  const to = change.to ?? request.status;
  if (change.to !== undefined) assertTransition(request.status, change.to);
  return {
    ...request,
    ...change.changes,
    status: to,
    version: request.version + 1,
    updatedAt: change.at.toISOString(),
  };
}
