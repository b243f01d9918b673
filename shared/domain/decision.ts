import { currentStageSets, stageIndexOf, stageLabel, stagesOf, type StageState } from './approval-stages.js';
import { isOpen, type GrantWindow } from './grant-window.js';
import { isLive } from './lifecycle.js';
import {
  expandSets,
  findTarget,
  isInSets,
  isResponder,
  type AccessPolicy,
  type ApprovalStage,
  type PeopleSet,
  type Target,
} from './policy.js';
import { personKey, type ResolvedPerson } from './person.js';
import { targetKindOf } from '../targets/kinds.js';
import type { AccessRequest } from './request.js';
import { controlCharacterProblem } from './text.js';

/**
 * The access decisions, as pure functions returning a decision *and its reason*.
 * Handlers and use cases never re-implement any of these rules.
 *
 * Every decision has one shape: `{ allowed: true, … }` with what the caller needs to go on
 * (the target, the duration, whether approval is still needed…), or a `Refusal`
 * `{ allowed: false, reason, message, field? }`. People are ResolvedPersons (person.ts), so
 * a decision never depends on the channel someone came through.
 */

export const MAX_REASON_LENGTH = 500;
export const MAX_TICKET_LENGTH = 64;

export type RefusalReason =
  | 'unknown-target'
  | 'not-eligible'
  | 'invalid-duration'
  | 'duration-over-maximum'
  | 'reason-required'
  | 'reason-too-long'
  | 'reason-invalid'
  | 'ticket-required'
  | 'ticket-invalid'
  | 'account-missing'
  | 'account-not-allowed';

/** The form field a refusal is about, so a form can show the message next to it. */
export type RefusalField = 'target' | 'duration' | 'reason' | 'ticket' | 'start' | 'accounts';

/**
 * The "no" of every decision: why not (a stable reason), what to tell the person, and the
 * form field at fault when exactly one is (absent otherwise).
 */
export interface Refusal<R extends string> {
  readonly allowed: false;
  readonly reason: R;
  readonly message: string;
  readonly field?: RefusalField;
}

/** A refusal; `field` only when one form field is at fault. */
export function deny<R extends string>(reason: R, message: string, field?: RefusalField): Refusal<R> {
  return field === undefined
    ? { allowed: false, reason, message }
    : { allowed: false, reason, message, field };
}

export type RequestDecision =
  | Refusal<RefusalReason>
  | {
      readonly allowed: true;
      readonly approval: 'needs-approval';
      readonly reason: 'requires-approval';
      readonly target: Target;
      readonly durationSeconds: number;
      readonly approvalsRequired: number;
      /** The approver set names of the rule. */
      readonly approvers: readonly string[];
    }
  | {
      readonly allowed: true;
      readonly approval: 'auto-approved';
      readonly reason: 'auto-approval';
      readonly target: Target;
      readonly durationSeconds: number;
    };

export interface RequestInput {
  readonly requester: ResolvedPerson;
  readonly targetId: string;
  /** Seconds; undefined means the target's default. */
  readonly durationSeconds?: number;
  readonly reason?: string;
  readonly ticket?: string;
  /** The accounts asked for, for a target granted per account. */
  readonly accounts?: readonly string[];
  /**
   * The accounts the target may be granted in (OUs expanded, read by the caller), when it is
   * granted per account and they could be listed; undefined: no account rule applies here.
   */
  readonly allowedAccounts?: readonly string[];
}

/**
 * The account rule of a target granted per account: at least one account, and only accounts
 * the target may be granted in (`allowed`); undefined (no problem) when `allowed` is undefined.
 * Why: an account outside the target's reach would be an assignment nobody approved of.
 */
export function accountProblem(
  picked: readonly string[] | undefined,
  allowed: readonly string[] | undefined,
): Refusal<'account-missing' | 'account-not-allowed'> | undefined {
  if (allowed === undefined) return undefined;
  if (picked === undefined || picked.length === 0)
    return deny('account-missing', 'Choose at least one account.', 'accounts');
  const reachable = new Set(allowed);
  const other = picked.find((id) => !reachable.has(id));
  if (other !== undefined)
    return deny(
      'account-not-allowed',
      `Account ${other} is not one this target may be granted in.`,
      'accounts',
    );
  return undefined;
}

/** Checks reason text shared by requests and break-glass. */
function checkReason(
  reason: string | undefined,
  required: boolean,
): Refusal<'reason-too-long' | 'reason-invalid' | 'reason-required'> | undefined {
  const text = reason?.trim() ?? '';
  if (text.length > MAX_REASON_LENGTH) {
    return deny('reason-too-long', `The reason is limited to ${MAX_REASON_LENGTH} characters.`, 'reason');
  }
  // Why: the reason is shown to approvers in Slack and to auditors in terminals and spreadsheets;
  // escapes and bidi overrides would let a requester disguise it there.
  const hidden = controlCharacterProblem('The reason', text, { multiline: true });
  if (hidden) return deny('reason-invalid', hidden, 'reason');
  if (required && text.length === 0)
    return deny('reason-required', 'Say why you need this access.', 'reason');
  return undefined;
}

/**
 * What is wrong with a free-text note (a denial reason, a review note), or undefined: at most
 * MAX_REASON_LENGTH characters of printable text, line breaks allowed. `label` starts the
 * message, e.g. "A review note". `text` is expected trimmed.
 */
export function noteProblem(label: string, text: string): string | undefined {
  if (text.length > MAX_REASON_LENGTH) return `${label} is limited to ${MAX_REASON_LENGTH} characters.`;
  // Why: notes reach the requester in Slack and auditors' terminals and exports.
  return controlCharacterProblem(label, text, { multiline: true });
}

/**
 * The ticket rules of a target, shared by requests and break-glass: never longer than
 * MAX_TICKET_LENGTH, one line of printable text, present and matching the target's pattern
 * when the target requires one. `required` is false for break-glass: a responder may act
 * before an incident has a ticket, but a ticket that is given must still be a valid one.
 */
function checkTicket(ticket: string | undefined, target: Target, required = target.requireTicket) {
  const text = ticket?.trim() ?? '';
  if (text === '') {
    return required ? deny('ticket-required', `${target.id} needs a ticket reference.`, 'ticket') : undefined;
  }
  // Why: the ticket is stored and shown in Slack and the audit log; an unbounded one is never legitimate.
  if (text.length > MAX_TICKET_LENGTH) {
    return deny('ticket-invalid', `A ticket reference is at most ${MAX_TICKET_LENGTH} characters.`, 'ticket');
  }
  // Why: tickets are shown verbatim to approvers and auditors, like reasons.
  const hidden = controlCharacterProblem('The ticket reference', text, { multiline: false });
  if (hidden) return deny('ticket-invalid', hidden, 'ticket');
  // The length bound above runs first: the pattern (checked safe at policy load) only ever
  // sees at most MAX_TICKET_LENGTH characters.
  if (target.requireTicket && target.ticketPattern && !new RegExp(target.ticketPattern).test(text)) {
    return deny('ticket-invalid', `"${text}" is not a valid ticket for ${target.id}.`, 'ticket');
  }
  return undefined;
}

/** Decides a new access request: refused (with the reason), needs approval, or auto-approved. */
export function decideRequest(policy: AccessPolicy, input: RequestInput): RequestDecision {
  const target = findTarget(policy, input.targetId);
  if (!target) return deny('unknown-target', `There is no target "${input.targetId}".`, 'target');
  if (!isInSets(policy, target.requesters, input.requester)) {
    return deny('not-eligible', `You may not request ${target.id}.`, 'target');
  }
  const accounts = accountProblem(input.accounts, input.allowedAccounts);
  if (accounts) return accounts;
  const durationSeconds = input.durationSeconds ?? target.defaultDurationSeconds;
  if (!Number.isInteger(durationSeconds) || durationSeconds <= 0) {
    return deny('invalid-duration', 'The duration must be a positive length of time.', 'duration');
  }
  if (durationSeconds > target.maxDurationSeconds) {
    return deny(
      'duration-over-maximum',
      `${target.id} may be granted for at most ${target.maxDurationSeconds / 60} minutes.`,
      'duration',
    );
  }
  const reasonProblem = checkReason(input.reason, target.requireReason);
  if (reasonProblem) return reasonProblem;
  const ticketProblem = checkTicket(input.ticket, target);
  if (ticketProblem) return ticketProblem;
  // Why the sets: "whoever is on call" may skip approval without opening the target to everyone.
  if (
    target.autoApprove ||
    (target.autoApproveFor && isInSets(policy, target.autoApproveFor, input.requester))
  )
    return { allowed: true, approval: 'auto-approved', reason: 'auto-approval', target, durationSeconds };
  return {
    allowed: true,
    approval: 'needs-approval',
    reason: 'requires-approval',
    target,
    durationSeconds,
    approvalsRequired: target.approvalsRequired,
    approvers: target.approvers,
  };
}

export type ApprovalRefusal =
  | 'not-pending'
  | 'unknown-target'
  | 'self-approval'
  | 'not-an-approver'
  | 'not-this-stage'
  | 'already-approved'
  | 'approved-another-stage';

export type ApprovalDecision =
  | Refusal<ApprovalRefusal>
  | {
      readonly allowed: true;
      readonly reason: 'approval-recorded' | 'stage-complete' | 'approvals-complete';
      /** Distinct approvals of the current stage, including this one. */
      readonly approvals: number;
      /** Approvals the current stage needs. */
      readonly approvalsRequired: number;
      /** The stage this approval counts for (index) and how many stages there are. */
      readonly stage: number;
      readonly stages: number;
      /** This approval completes its stage (and moves the request to the next one, if any). */
      readonly stageComplete: boolean;
      /** This approval completes the last stage: the request is approved. */
      readonly complete: boolean;
    };

/**
 * Decides whether `approver` may approve `request`, and whether this approval completes its
 * stage or the whole request. An approval counts only for the current stage, by someone of
 * that stage's sets (or of the escalation sets once the stage was escalated); approvals count
 * distinct approvers; the requester never counts unless the rule allows self-approval; and
 * nobody approves two stages. The request is approved when its last stage completes.
 */
export function decideApproval(
  policy: AccessPolicy,
  request: AccessRequest,
  approver: ResolvedPerson,
): ApprovalDecision {
  if (request.status !== 'PENDING') return deny('not-pending', `This request is already ${request.status}.`);
  const target = findTarget(policy, request.targetId);
  if (!target) return deny('unknown-target', 'This target is no longer in the policy.');
  const approverKey = personKey(approver.person);
  // Why: a second pair of eyes is the point of approval; in every stage, unless the rule waives it.
  if (approverKey === request.requester && !target.selfApproval) {
    return deny('self-approval', 'You cannot approve your own request.');
  }
  const stages = stagesOf(target, request);
  const stage = stageIndexOf(target, request);
  const earlier = request.approvals.find((a) => a.approver === approverKey);
  if (earlier && (earlier.stage ?? 0) === stage) {
    return deny('already-approved', 'You have already approved this request.');
  }
  // Why: stages exist so that different people look; one person passing two would defeat them.
  if (earlier) {
    return deny(
      'approved-another-stage',
      'You approved an earlier stage; another person must approve this one.',
    );
  }
  if (!isInSets(policy, currentStageSets(target, request), approver)) {
    const later = stages.findIndex((s, i) => i > stage && isInSets(policy, s.approvers, approver));
    if (later >= 0) {
      return deny(
        'not-this-stage',
        `You approve stage ${later + 1} of ${target.id}; it is at stage ${stage + 1} (${stageLabel(stages[stage] as ApprovalStage)}).`,
      );
    }
    return deny('not-an-approver', `You are not an approver for ${target.id}.`);
  }
  const approvals = new Set([
    ...request.approvals.filter((a) => (a.stage ?? 0) === stage).map((a) => a.approver),
    approverKey,
  ]).size;
  const approvalsRequired = (stages[stage] as ApprovalStage).required;
  const stageComplete = approvals >= approvalsRequired;
  const complete = stageComplete && stage === stages.length - 1;
  return {
    allowed: true,
    reason: complete ? 'approvals-complete' : stageComplete ? 'stage-complete' : 'approval-recorded',
    approvals,
    approvalsRequired,
    stage,
    stages: stages.length,
    stageComplete,
    complete,
  };
}

/**
 * Who is asked to approve `request`: the current stage's sets (users, and Slack user groups
 * the adapter expands; the backup sets too once escalated), never the requester unless the
 * rule allows self-approval, since their own click would be refused anyway.
 */
export function approvalAudience(
  policy: AccessPolicy,
  target: Target,
  request: Pick<AccessRequest, 'requester'> & StageState,
): PeopleSet & { readonly exclude: readonly string[] } {
  return {
    ...expandSets(policy, currentStageSets(target, request)),
    exclude: target.selfApproval ? [] : [request.requester],
  };
}

/**
 * Whether `person` may deny `request`: any approver of its current stage may (the backup sets
 * too once escalated); the requester cancels instead.
 */
export function decideDenial(
  policy: AccessPolicy,
  request: AccessRequest,
  person: ResolvedPerson,
): { readonly allowed: true } | Refusal<ApprovalRefusal> {
  if (request.status !== 'PENDING') return deny('not-pending', `This request is already ${request.status}.`);
  const target = findTarget(policy, request.targetId);
  if (!target) return deny('unknown-target', 'This target is no longer in the policy.');
  if (!isInSets(policy, currentStageSets(target, request), person)) {
    return deny('not-an-approver', `You are not an approver of the current stage of ${target.id}.`);
  }
  return { allowed: true };
}

export type BreakGlassRefusal =
  | 'break-glass-disabled'
  | 'unknown-target'
  | 'not-a-responder'
  | 'target-not-break-glass'
  | 'reason-required'
  | 'reason-too-long'
  | 'reason-invalid'
  | 'invalid-duration'
  | 'duration-over-maximum'
  | 'ticket-required'
  | 'ticket-invalid';

export type BreakGlassDecision =
  /** `field` is absent when no one field is at fault (break-glass switched off). */
  | Refusal<BreakGlassRefusal>
  | {
      readonly allowed: true;
      readonly reason: 'break-glass-allowed';
      readonly target: Target;
      readonly durationSeconds: number;
    };

/**
 * Decides a break-glass request: only listed responders, only on targets marked
 * `breakGlass`, always with a reason, never longer than the break-glass maximum, and with
 * the same ticket rules as a request (a target that requires a ticket requires it here too).
 */
export function decideBreakGlass(policy: AccessPolicy, input: RequestInput): BreakGlassDecision {
  const rules = policy.breakGlass;
  if (!rules) return deny('break-glass-disabled', 'Break-glass is not enabled.');
  const target = findTarget(policy, input.targetId);
  if (!target) return deny('unknown-target', `There is no target "${input.targetId}".`, 'target');
  if (!isResponder(policy, input.requester))
    return deny('not-a-responder', 'Only on-call responders may break glass.', 'target');
  if (!target.breakGlass)
    return deny('target-not-break-glass', `${target.id} is not available through break-glass.`, 'target');
  const reasonProblem = checkReason(input.reason, true);
  if (reasonProblem) return reasonProblem;
  const limit = Math.min(rules.maxDurationSeconds, target.maxDurationSeconds);
  const durationSeconds = input.durationSeconds ?? Math.min(target.defaultDurationSeconds, limit);
  if (!Number.isInteger(durationSeconds) || durationSeconds <= 0) {
    return deny('invalid-duration', 'The duration must be a positive length of time.', 'duration');
  }
  if (durationSeconds > limit) {
    return deny(
      'duration-over-maximum',
      `Break-glass on ${target.id} lasts at most ${limit / 60} minutes.`,
      'duration',
    );
  }
  const ticketProblem = checkTicket(input.ticket, target, false);
  if (ticketProblem) return ticketProblem;
  return { allowed: true, reason: 'break-glass-allowed', target, durationSeconds };
}

export type ReviewRefusal = 'not-break-glass' | 'already-reviewed' | 'not-a-reviewer' | 'self-review';

/** Whether `person` may mark a break-glass grant as reviewed (a reviewer who is not its requester). */
export function decideReview(
  policy: AccessPolicy,
  request: AccessRequest,
  person: ResolvedPerson,
): { readonly allowed: true } | Refusal<ReviewRefusal> {
  if (!request.breakGlass) return deny('not-break-glass', 'Only break-glass grants are reviewed.');
  if (request.reviewedAt) return deny('already-reviewed', 'This break-glass grant was already reviewed.');
  if (!policy.breakGlass || !isInSets(policy, policy.breakGlass.reviewers, person)) {
    return deny('not-a-reviewer', 'You are not a break-glass reviewer.');
  }
  // Why: a review is a second pair of eyes; nobody reviews their own break-glass.
  if (personKey(person.person) === request.requester)
    return deny('self-review', 'You cannot review your own break-glass.');
  return { allowed: true };
}

/**
 * Whether a pending request should be re-notified or timed out at `now`.
 * A request is reminded once after `renotifyAfter`, then times out after `approvalTimeout`.
 */
export function decidePendingFollowUp(
  policy: AccessPolicy,
  request: AccessRequest,
  now: Date,
): 'none' | 'renotify' | 'time-out' {
  if (request.status !== 'PENDING') return 'none';
  const age = (now.getTime() - Date.parse(request.createdAt)) / 1000;
  if (age >= policy.approvalTimeoutSeconds) return 'time-out';
  if (age >= policy.renotifyAfterSeconds && !request.renotifiedAt) return 'renotify';
  return 'none';
}

export type ExtensionRefusal = 'not-requester' | 'not-live';

/**
 * Whether `requesterId` may ask for more time on `original`: only its holder, only while it
 * is live (APPROVED or ACTIVE). The extension itself is then decided like any request.
 */
export function decideExtension(
  original: AccessRequest,
  requesterId: string,
): { readonly allowed: true } | Refusal<ExtensionRefusal> {
  const message = 'Only your own live grants can be extended.';
  // Why: an extension adds access; nobody adds time to someone else's grant.
  if (original.requester !== requesterId) return deny('not-requester', message);
  if (!isLive(original.status)) return deny('not-live', message);
  return { allowed: true };
}

export type CancelRefusal = 'not-requester' | 'not-pending';

/**
 * Whether `requesterId` may cancel `request`: only its requester, only while it is PENDING, or
 * APPROVED for a scheduled start that has not come yet at `now` (nothing was granted yet).
 */
export function decideCancel(
  request: AccessRequest,
  requesterId: string,
  now?: Date,
): { readonly allowed: true } | Refusal<CancelRefusal> {
  if (request.requester !== requesterId)
    return deny('not-requester', 'Only the requester can cancel a request.');
  if (request.status === 'PENDING') return { allowed: true };
  // Why: once the start has come the grant may already give access; that is a release, not a cancel.
  if (isScheduledAhead(request, now)) return { allowed: true };
  return deny('not-pending', `This request is already ${request.status}.`);
}

/** An APPROVED grant whose scheduled start is still ahead of `now`: no access given yet. */
export function isScheduledAhead(request: AccessRequest, now: Date | undefined): boolean {
  return (
    now !== undefined &&
    request.status === 'APPROVED' &&
    request.scheduledStartsAt !== undefined &&
    request.startsAt !== undefined &&
    Date.parse(request.startsAt) > now.getTime()
  );
}

export type ReleaseRefusal = 'not-requester' | 'not-live';

/** Whether `requesterId` may end `grant` early: only its holder, only while it is live. */
export function decideRelease(
  grant: AccessRequest,
  requesterId: string,
): { readonly allowed: true } | Refusal<ReleaseRefusal> {
  if (grant.requester !== requesterId)
    return deny('not-requester', 'Only the person who holds a grant can release it.');
  if (!isLive(grant.status)) return deny('not-live', `This grant is already ${grant.status}.`);
  return { allowed: true };
}

export type CredentialsRefusal =
  | 'not-requester'
  | 'not-a-role'
  | 'being-set-up'
  | 'not-active'
  | 'being-ended'
  | 'window-closed'
  | 'target-not-a-role';

/**
 * Whether `requesterId` may get session credentials for `grant` at `now`: only its holder,
 * only a grant of a kind that issues credentials (a role), only while it is ACTIVE, not being
 * ended and inside its window, and only while its target is still of that kind in the policy.
 * Allowed answers carry the target and the window the session must not outlive.
 */
export function decideCredentials(
  policy: AccessPolicy,
  grant: AccessRequest,
  requesterId: string,
  now: Date,
):
  | { readonly allowed: true; readonly target: Target; readonly window: GrantWindow }
  | Refusal<CredentialsRefusal> {
  // Why: credentials go only to the person who holds the grant.
  if (grant.requester !== requesterId) {
    return deny('not-requester', 'Only the person who holds a grant can get its credentials.');
  }
  const kind = targetKindOf(grant.targetKind);
  if (!kind?.issuesCredentials) {
    return deny('not-a-role', kind?.noCredentialsMessage || 'This grant has no session credentials.');
  }
  if (grant.status === 'APPROVED')
    return deny('being-set-up', 'This grant is still being set up; try again in a moment.');
  if (grant.status !== 'ACTIVE')
    return deny('not-active', `This grant is ${grant.status}; no credentials can be issued.`);
  // Why: once its end is asked for, a grant hands out nothing new; only the end is left to confirm.
  if (grant.endRequest)
    return deny('being-ended', 'This grant is being ended; no credentials can be issued.');
  const window =
    grant.startsAt && grant.endsAt
      ? { startsAt: new Date(grant.startsAt), endsAt: new Date(grant.endsAt) }
      : undefined;
  if (!window || !isOpen(window, now))
    return deny('window-closed', 'This grant has ended; no credentials can be issued.');
  const target = findTarget(policy, grant.targetId);
  // Why: a target removed from the policy, or turned into another kind, grants nothing any more.
  if (target?.kind !== grant.targetKind) {
    return deny(
      'target-not-a-role',
      `The target ${grant.targetId} is no longer a ${kind.label} in the policy.`,
    );
  }
  return { allowed: true, target, window };
}

export type BreakGlassChoiceRefusal = 'break-glass-disabled' | 'not-a-responder' | 'no-targets';

/**
 * What `person` may choose from when breaking glass: only listed responders see anything,
 * and only targets marked `breakGlass`. The choice made is then checked by decideBreakGlass.
 */
export function breakGlassTargets(
  policy: AccessPolicy,
  person: ResolvedPerson,
):
  | { readonly allowed: true; readonly targets: readonly Target[]; readonly maxDurationSeconds: number }
  | Refusal<BreakGlassChoiceRefusal> {
  if (!policy.breakGlass) return deny('break-glass-disabled', 'Break-glass is not enabled.');
  // Why: only listed responders may even see the break-glass form.
  if (!isResponder(policy, person))
    return deny('not-a-responder', 'Only on-call responders may break glass.');
  const targets = policy.targets.filter((t) => t.breakGlass);
  if (targets.length === 0) return deny('no-targets', 'No target is available through break-glass.');
  return { allowed: true, targets, maxDurationSeconds: policy.breakGlass.maxDurationSeconds };
}
