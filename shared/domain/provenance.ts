import { createHash } from 'node:crypto';
import type { AuditDetail, AuditEvent } from './audit.js';
import {
  decideApproval,
  decideBreakGlass,
  decideDenial,
  decideRequest,
  type RequestInput,
} from './decision.js';
import { findTarget, isInSets, type AccessPolicy, type Target } from './policy.js';
import { parsePerson, type ResolvedPerson } from './person.js';
import { newRequest, type AccessRequest } from './request.js';

/**
 * Decision provenance: every decision event names the policy version that decided it (the
 * SHA-256 of the policy file's bytes) and the rule within it (target, approval rule, stage),
 * plus the decider's group memberships as resolved at the time. With the policy kept by its
 * hash, `explain` replays the same pure decision function on the same inputs, years later.
 */

/** A deployed policy file, addressed by the SHA-256 (hex) of its text. */
export interface PolicyVersion {
  readonly sha256: string;
  readonly text: string;
}

/** The version of a policy file's text. */
export function policyVersionOf(text: string): PolicyVersion {
  return { sha256: createHash('sha256').update(text, 'utf8').digest('hex'), text };
}

/** At most this many groups are recorded per decider (the audit event stays bounded). */
export const MAX_RECORDED_GROUPS = 50;

/** The stage of the flow a decision was taken at. */
export type DecisionStage = 'request' | 'approval' | 'denial' | 'break-glass';

/**
 * The provenance fields of a decision event's detail: the policy version, the rule that
 * decided (target id, its approver sets and approval count) and the decider as resolved.
 */
export function provenanceDetail(
  policySha256: string,
  target: Target | undefined,
  stage: DecisionStage,
  decider: ResolvedPerson,
): AuditDetail {
  const groups = decider.groups.slice(0, MAX_RECORDED_GROUPS);
  return {
    policySha256,
    ruleStage: stage,
    ...(target
      ? {
          ruleTarget: target.id,
          ruleApprovers: target.approvers.join(','),
          ruleApprovals: target.approvalsRequired,
        }
      : {}),
    ...(groups.length > 0 ? { deciderGroups: groups.join(',') } : {}),
    ...(decider.email ? { deciderEmail: decider.email } : {}),
  };
}

/** One line of an explanation. */
export interface ExplainStep {
  /** The audit event the step explains (`chain#seq`), when it is about one. */
  readonly event?: string;
  readonly text: string;
}

/** How the replay of one decision event came out. */
export interface ReplayedDecision {
  readonly event: string;
  readonly type: AuditEvent['type'];
  readonly policySha256?: string;
  /** `matches`: the replay gives the recorded outcome; `differs`: it does not; `unknown`: cannot replay. */
  readonly verdict: 'matches' | 'differs' | 'unknown';
  /** What the current policy would decide, when it is another version. */
  readonly underCurrent?: string;
}

export interface Explanation {
  readonly requestId: string;
  readonly steps: readonly ExplainStep[];
  readonly decisions: readonly ReplayedDecision[];
  /** Every replayed decision gave the recorded outcome. */
  readonly reproduced: boolean;
}

const DECISION_TYPES = new Set<AuditEvent['type']>([
  'request.submitted',
  'request.approval-recorded',
  'request.approved',
  'request.denied',
  'break-glass.activated',
]);

function str(detail: AuditEvent['detail'], key: string): string | undefined {
  const value = detail?.[key];
  return value === undefined ? undefined : String(value);
}

function list(text: string | undefined): string[] {
  return text === undefined || text === '' ? [] : text.split(',');
}

/** The decider of an event as it was resolved then (person, groups, email). */
function deciderOf(event: AuditEvent): ResolvedPerson {
  const email = str(event.detail, 'deciderEmail');
  return {
    person: parsePerson(event.actor),
    groups: list(str(event.detail, 'deciderGroups')),
    ...(email === undefined ? {} : { email }),
  };
}

/** Which named set lets `who` in (the first one), or undefined. */
function admittingSet(policy: AccessPolicy, sets: readonly string[], who: ResolvedPerson) {
  return sets.find((name) => isInSets(policy, [name], who));
}

function minutes(seconds: number): string {
  return seconds % 3600 === 0 ? `${seconds / 3600}h` : `${Math.round(seconds / 60)}m`;
}

/** The request as it stood just before `event`, rebuilt from its earlier events. */
function requestBefore(event: AuditEvent, earlier: readonly AuditEvent[]): AccessRequest {
  const submitted = earlier.find((e) => e.type === 'request.submitted');
  const previousApprovers = (event.approvers ?? []).filter((a) => a !== event.actor);
  const base = newRequest({
    id: event.requestId,
    at: new Date(submitted?.at ?? event.at),
    requester: event.subject,
    principal: event.principal ?? '',
    targetId: event.targetId,
    targetKind: 'role',
    durationSeconds: Number(submitted?.detail?.durationSeconds ?? 0),
    approvalsRequired: Number(submitted?.detail?.ruleApprovals ?? event.detail?.approvalsRequired ?? 1),
  });
  return { ...base, approvals: previousApprovers.map((approver) => ({ approver, at: event.at })) };
}

/** The replayed outcome of one decision event under `policy`, as a short label. */
function replay(policy: AccessPolicy, event: AuditEvent, earlier: readonly AuditEvent[]): string {
  const decider = deciderOf(event);
  switch (event.type) {
    case 'request.submitted':
    case 'break-glass.activated': {
      const input: RequestInput = {
        requester: decider,
        targetId: event.targetId,
        durationSeconds:
          event.type === 'break-glass.activated'
            ? (Date.parse(str(event.detail, 'endsAt') ?? '') -
                Date.parse(str(event.detail, 'startsAt') ?? '')) /
              1000
            : Number(event.detail?.durationSeconds),
        ...(event.reason === undefined ? {} : { reason: event.reason }),
        ...(event.ticket === undefined ? {} : { ticket: event.ticket }),
      };
      const decision =
        event.type === 'request.submitted' ? decideRequest(policy, input) : decideBreakGlass(policy, input);
      return decision.allowed ? `allowed (${decision.reason})` : `refused (${decision.reason})`;
    }
    case 'request.approval-recorded':
    case 'request.approved': {
      const decision = decideApproval(policy, requestBefore(event, earlier), decider);
      return decision.allowed ? `allowed (${decision.reason})` : `refused (${decision.reason})`;
    }
    default: {
      const decision = decideDenial(policy, requestBefore(event, earlier), decider);
      return decision.allowed ? 'allowed (denial-allowed)' : `refused (${decision.reason})`;
    }
  }
}

/** What the event records was decided, in the labels `replay` gives. */
function recordedOutcome(event: AuditEvent): string {
  switch (event.type) {
    case 'request.submitted':
      return `allowed (${str(event.detail, 'decision') ?? 'requires-approval'})`;
    case 'break-glass.activated':
      return 'allowed (break-glass-allowed)';
    case 'request.approval-recorded':
      return 'allowed (approval-recorded)';
    case 'request.approved':
      return 'allowed (approvals-complete)';
    default:
      return 'allowed (denial-allowed)';
  }
}

/** The rule steps of a decision event, read from the policy version that decided it. */
function ruleSteps(policy: AccessPolicy, event: AuditEvent): string[] {
  const target = findTarget(policy, event.targetId);
  if (!target) return [`target ${event.targetId}: not in this policy version`];
  const decider = deciderOf(event);
  const steps = [`target ${target.id} (${target.kind}): found`];
  if (event.type === 'request.submitted' || event.type === 'break-glass.activated') {
    const sets =
      event.type === 'request.submitted' ? target.requesters : (policy.breakGlass?.responders ?? []);
    const via = admittingSet(policy, sets, decider);
    steps.push(
      `${event.actor} in ${event.type === 'request.submitted' ? 'requesters' : 'break-glass responders'} [${sets.join(', ')}]: ${via === undefined ? 'no' : `yes, through "${via}"`}`,
    );
    if (event.type === 'request.submitted') {
      const seconds = Number(event.detail?.durationSeconds);
      steps.push(`duration ${minutes(seconds)} within the maximum ${minutes(target.maxDurationSeconds)}`);
      steps.push(
        `reason ${target.requireReason ? 'required' : 'optional'}; ticket ${target.requireTicket ? 'required' : 'optional'}`,
      );
      steps.push(
        target.autoApprove
          ? 'approval rule: auto-approve'
          : `approval rule: ${target.approvalsRequired} approval(s) from [${target.approvers.join(', ')}]`,
      );
    } else {
      steps.push(`target marked break-glass: ${target.breakGlass ? 'yes' : 'no'}`);
    }
  } else {
    const via = admittingSet(policy, target.approvers, decider);
    steps.push(
      `${event.actor} in approvers [${target.approvers.join(', ')}]: ${via === undefined ? 'no' : `yes, through "${via}"`}`,
    );
    steps.push(
      `self-approval ${target.selfApproval ? 'allowed' : 'not allowed'}; requester ${event.subject}${event.actor === event.subject ? ' is the decider' : ''}`,
    );
    if (event.type !== 'request.denied') {
      steps.push(
        `approvals so far: ${(event.approvers ?? []).length} of ${requestBefore(event, []).approvalsRequired}`,
      );
    }
  }
  return steps;
}

/**
 * Explains the decisions of one request from its audit events (oldest first): for each
 * decision event, the policy version in force, the rule steps read from that version, and
 * the replay of the same decision function with the recorded inputs, compared with what was
 * recorded. `policies` holds the kept versions by hash; `current` is the policy now in force.
 */
export function explainRequest(
  requestId: string,
  events: readonly AuditEvent[],
  policies: ReadonlyMap<string, AccessPolicy>,
  current?: { readonly sha256: string; readonly policy: AccessPolicy },
): Explanation {
  const steps: ExplainStep[] = [];
  const decisions: ReplayedDecision[] = [];
  if (events.length === 0) steps.push({ text: `no audit events for request ${requestId}` });
  events.forEach((event, index) => {
    const ref = `${event.chain}#${event.seq}`;
    const head = `${event.at} ${event.type} by ${event.actor}`;
    if (!DECISION_TYPES.has(event.type)) {
      steps.push({ event: ref, text: `${head}${event.toStatus ? ` → ${event.toStatus}` : ''}` });
      return;
    }
    steps.push({ event: ref, text: head });
    const sha = str(event.detail, 'policySha256');
    const policy = sha === undefined ? undefined : policies.get(sha);
    if (sha === undefined || policy === undefined) {
      steps.push({
        event: ref,
        text:
          sha === undefined
            ? '  recorded without a policy version (written before provenance was kept): not replayable'
            : `  policy ${sha} is not kept: not replayable`,
      });
      decisions.push({
        event: ref,
        type: event.type,
        ...(sha ? { policySha256: sha } : {}),
        verdict: 'unknown',
      });
      return;
    }
    steps.push({ event: ref, text: `  policy in force: sha256 ${sha}` });
    ruleSteps(policy, event).forEach((text) => steps.push({ event: ref, text: `  ${text}` }));
    const earlier = events.slice(0, index);
    const replayed = replay(policy, event, earlier);
    const recorded = recordedOutcome(event);
    const verdict = replayed === recorded ? 'matches' : 'differs';
    steps.push({
      event: ref,
      text: `  replayed: ${replayed}; recorded: ${recorded} → ${verdict === 'matches' ? 'reproduced' : 'DIFFERS'}`,
    });
    let underCurrent: string | undefined;
    if (current && current.sha256 !== sha) {
      underCurrent = replay(current.policy, event, earlier);
      steps.push({
        event: ref,
        text: `  under the current policy (${current.sha256.slice(0, 12)}…): ${underCurrent}`,
      });
    }
    decisions.push({
      event: ref,
      type: event.type,
      policySha256: sha,
      verdict,
      ...(underCurrent === undefined ? {} : { underCurrent }),
    });
  });
  const reproduced = decisions.length > 0 && decisions.every((d) => d.verdict === 'matches');
  return { requestId, steps, decisions, reproduced };
}
