import { expandSets, type AccessPolicy, type ApprovalStage, type PeopleSet, type Target } from './policy.js';
import type { AccessRequest } from './request.js';

/**
 * Approval stages: a target's approvals in order, each stage M-of-N from its own sets, and the
 * escalation to backup approvers when a stage has not decided in time. Pure: the decisions
 * (decideApproval, decideDenial in decision.ts) and the Slack views read stages from here.
 */

/** What the stage functions read of a request (absent fields: its first stage, not escalated). */
export type StageState = Partial<Pick<AccessRequest, 'approvalsRequired' | 'stage' | 'escalatedStage'>>;

/** The stages of `target` for `request`: its `stages`, or the one implicit stage of its approvers. */
export function stagesOf(target: Target, request: StageState): readonly ApprovalStage[] {
  // The implicit stage keeps the count fixed at submission, as requests of one stage always did.
  return (
    target.stages ?? [
      { approvers: target.approvers, required: request.approvalsRequired ?? target.approvalsRequired },
    ]
  );
}

/** The stage `request` is at (index), never past the last one (a policy may have lost stages since). */
export function stageIndexOf(target: Target, request: StageState): number {
  return Math.min(request.stage ?? 0, stagesOf(target, request).length - 1);
}

/** Whether the current stage of `request` was escalated: its backup approvers may then decide too. */
export function isEscalated(target: Target, request: StageState): boolean {
  return (
    target.escalation !== undefined &&
    request.escalatedStage !== undefined &&
    request.escalatedStage >= stageIndexOf(target, request)
  );
}

/** The set names that decide the current stage: its approvers, plus the backup set once escalated. */
export function currentStageSets(target: Target, request: StageState): readonly string[] {
  const stage = stagesOf(target, request)[stageIndexOf(target, request)];
  const sets = stage?.approvers ?? [];
  return isEscalated(target, request) && target.escalation ? [...sets, ...target.escalation.to] : sets;
}

/** How a stage is shown: its name, or its set names. */
export function stageLabel(stage: ApprovalStage): string {
  return stage.name ?? stage.approvers.join(', ');
}

/** Where a pending request stands, for the approval message ("Stage 1 of 2: team leads, 0 of 1"). */
export interface StageProgress {
  /** 1-based, for people. */
  readonly number: number;
  readonly count: number;
  readonly label: string;
  readonly approvals: number;
  readonly required: number;
  /** Who may still decide the stage (sets expanded; the requester and those who approved left out). */
  readonly waitingFor: PeopleSet & { readonly exclude: readonly string[] };
  readonly escalated: boolean;
}

/** The progress of the current stage of `request`. */
export function stageProgress(policy: AccessPolicy, target: Target, request: AccessRequest): StageProgress {
  const stages = stagesOf(target, request);
  const index = stageIndexOf(target, request);
  const stage = stages[index] as ApprovalStage;
  const approvedHere = request.approvals.filter((a) => (a.stage ?? 0) === index).map((a) => a.approver);
  return {
    number: index + 1,
    count: stages.length,
    label: stageLabel(stage),
    approvals: new Set(approvedHere).size,
    required: stage.required,
    waitingFor: {
      ...expandSets(policy, currentStageSets(target, request)),
      // Why: nobody approves twice, and the requester's own click is refused unless allowed.
      exclude: [
        ...request.approvals.map((a) => a.approver),
        ...(target.selfApproval ? [] : [request.requester]),
      ],
    },
    escalated: isEscalated(target, request),
  };
}

/**
 * Whether to escalate `request` at `now`: once per stage, when the stage has been waiting for
 * `escalation.after` (from its start: creation for the first stage, the previous stage's end
 * otherwise). Returns the stage index to mark and the backup sets to tell.
 */
export function decideEscalation(
  policy: AccessPolicy,
  target: Target | undefined,
  request: AccessRequest,
  now: Date,
):
  | { readonly escalate: false }
  | { readonly escalate: true; readonly stage: number; readonly to: readonly string[] } {
  if (request.status !== 'PENDING' || !target?.escalation) return { escalate: false };
  const stage = stageIndexOf(target, request);
  if (request.escalatedStage !== undefined && request.escalatedStage >= stage) return { escalate: false };
  const since = Date.parse(request.stageStartedAt ?? request.createdAt);
  if ((now.getTime() - since) / 1000 < target.escalation.afterSeconds) return { escalate: false };
  // A request timed out before its escalation is due is left to the time-out.
  if ((now.getTime() - Date.parse(request.createdAt)) / 1000 >= policy.approvalTimeoutSeconds)
    return { escalate: false };
  return { escalate: true, stage, to: target.escalation.to };
}
