import { describe, expect, it } from 'vitest';
import { decideEscalation, stageProgress } from '../../shared/domain/approval-stages.js';
import { decideApproval, decideDenial } from '../../shared/domain/decision.js';
import { PolicyError } from '../../shared/domain/errors.js';
import { findTarget, type Target } from '../../shared/domain/policy.js';
import { parsePolicy } from '../../shared/domain/policy-text.js';
import { slackPerson, type ResolvedPerson } from '../../shared/domain/person.js';
import type { AccessRequest } from '../../shared/domain/request.js';

const policy = parsePolicy(`
version: 1
people:
  devs: { users: [UDEV1, ULEAD1] }
  leads: { users: [ULEAD1, ULEAD2, ULEAD3] }
  security: { users: [USEC1, USEC2] }
  backup: { users: [UBACKUP1] }
approvalTimeout: 4h
renotifyAfter: 1h
targets:
  - id: staged
    kind: group
    groupName: jit-staged
    description: Two stages
    requesters: [devs]
    stages:
      - { name: team leads, approvers: [leads], required: 2 }
      - { approvers: [security, leads], required: 1 }
    escalation: { after: 30m, to: [backup] }
    defaultDuration: 1h
    maxDuration: 2h
  - { id: single, kind: group, groupName: jit-single, description: One stage, requesters: [devs], approvers: [leads], defaultDuration: 1h, maxDuration: 2h }
`);

const who = (userId: string): ResolvedPerson => ({ person: slackPerson(userId), groups: [] });
const target = (id: string): Target => findTarget(policy, id) as Target;

function pending(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return {
    id: 'r1',
    requester: 'UDEV1',
    principal: 'dev1@example.com',
    targetId: 'staged',
    targetKind: 'group',
    durationSeconds: 3600,
    reason: 'migration',
    status: 'PENDING',
    version: 1,
    createdAt: '2026-11-27T09:00:00.000Z',
    updatedAt: '2026-11-27T09:00:00.000Z',
    approvalsRequired: 3,
    approvals: [],
    breakGlass: false,
    ...overrides,
  };
}

const at = '2026-11-27T09:05:00.000Z';

describe('decideApproval with stages', () => {
  it.each([
    {
      description: 'a lead approves stage 1 (1 of 2): recorded',
      request: pending(),
      approver: 'ULEAD1',
      expected: { allowed: true, reason: 'approval-recorded', stage: 0, approvals: 1, stageComplete: false },
    },
    {
      description: 'a second lead completes stage 1: the request moves to stage 2',
      request: pending({ approvals: [{ approver: 'ULEAD1', at, stage: 0 }] }),
      approver: 'ULEAD2',
      expected: { allowed: true, reason: 'stage-complete', stage: 0, stageComplete: true, complete: false },
    },
    {
      description: 'security completes the last stage: approved',
      request: pending({
        stage: 1,
        approvals: [
          { approver: 'ULEAD1', at, stage: 0 },
          { approver: 'ULEAD2', at, stage: 0 },
        ],
      }),
      approver: 'USEC1',
      expected: { allowed: true, reason: 'approvals-complete', stage: 1, complete: true },
    },
    {
      description: 'a stage-2 approver in stage 1: not this stage',
      request: pending(),
      approver: 'USEC1',
      expected: { allowed: false, reason: 'not-this-stage' },
    },
    {
      description: 'a lead of stage 1 may not approve stage 2 too',
      request: pending({
        stage: 1,
        approvals: [
          { approver: 'ULEAD1', at, stage: 0 },
          { approver: 'ULEAD2', at, stage: 0 },
        ],
      }),
      approver: 'ULEAD2',
      expected: { allowed: false, reason: 'approved-another-stage' },
    },
    {
      description: 'a lead who did not approve stage 1 may approve stage 2 (its sets include leads)',
      request: pending({
        stage: 1,
        approvals: [
          { approver: 'ULEAD1', at, stage: 0 },
          { approver: 'ULEAD2', at, stage: 0 },
        ],
      }),
      approver: 'ULEAD3',
      expected: { allowed: true, reason: 'approvals-complete', complete: true },
    },
    {
      description: 'the same lead twice in stage 1: already approved',
      request: pending({ approvals: [{ approver: 'ULEAD1', at, stage: 0 }] }),
      approver: 'ULEAD1',
      expected: { allowed: false, reason: 'already-approved' },
    },
    {
      description: 'the requester (a lead) may not approve their own request in stage 1',
      request: pending({ requester: 'ULEAD1' }),
      approver: 'ULEAD1',
      expected: { allowed: false, reason: 'self-approval' },
    },
    {
      description: 'the requester may not approve in stage 2 either',
      request: pending({ requester: 'ULEAD1', stage: 1 }),
      approver: 'ULEAD1',
      expected: { allowed: false, reason: 'self-approval' },
    },
    {
      description: 'a backup approver before escalation: not an approver',
      request: pending(),
      approver: 'UBACKUP1',
      expected: { allowed: false, reason: 'not-an-approver' },
    },
    {
      description: 'a backup approver once the stage was escalated: counts for it',
      request: pending({ escalatedStage: 0 }),
      approver: 'UBACKUP1',
      expected: { allowed: true, reason: 'approval-recorded', stage: 0 },
    },
    {
      description: 'an escalation of stage 1 does not open stage 2 to the backup',
      request: pending({ escalatedStage: 0, stage: 1 }),
      approver: 'UBACKUP1',
      expected: { allowed: false, reason: 'not-an-approver' },
    },
    {
      description: 'a target of one stage keeps its count from the request',
      request: pending({ targetId: 'single', approvalsRequired: 1 }),
      approver: 'ULEAD1',
      expected: { allowed: true, reason: 'approvals-complete', stage: 0, stages: 1, complete: true },
    },
  ])('$description', ({ request, approver, expected }) => {
    expect(decideApproval(policy, request, who(approver))).toMatchObject(expected);
  });
});

describe('decideDenial with stages', () => {
  it.each([
    { description: 'a current-stage approver denies', request: pending(), person: 'ULEAD1', allowed: true },
    {
      description: 'a later-stage approver may not deny yet',
      request: pending(),
      person: 'USEC1',
      allowed: false,
    },
    {
      description: 'in stage 2, security denies',
      request: pending({ stage: 1 }),
      person: 'USEC2',
      allowed: true,
    },
  ])('$description', ({ request, person, allowed }) => {
    expect(decideDenial(policy, request, who(person)).allowed).toBe(allowed);
  });
});

describe('decideEscalation', () => {
  const now = (minutes: number) => new Date(Date.parse('2026-11-27T09:00:00.000Z') + minutes * 60_000);
  it.each([
    { description: 'before the stage has waited 30m: no', request: pending(), minutes: 29, escalate: false },
    { description: 'after 30m: escalate stage 1', request: pending(), minutes: 30, escalate: true, stage: 0 },
    {
      description: 'stage 1 already escalated: no',
      request: pending({ escalatedStage: 0 }),
      minutes: 90,
      escalate: false,
    },
    {
      description: 'stage 2 counts from its own start',
      request: pending({ stage: 1, escalatedStage: 0, stageStartedAt: '2026-11-27T10:00:00.000Z' }),
      minutes: 80,
      escalate: false,
    },
    {
      description: 'stage 2 waited 30m since its start: escalate stage 2',
      request: pending({ stage: 1, escalatedStage: 0, stageStartedAt: '2026-11-27T10:00:00.000Z' }),
      minutes: 90,
      escalate: true,
      stage: 1,
    },
    {
      description: 'a target without escalation: never',
      request: pending({ targetId: 'single' }),
      minutes: 120,
      escalate: false,
    },
    {
      description: 'not pending: never',
      request: pending({ status: 'DENIED' }),
      minutes: 60,
      escalate: false,
    },
    {
      description: 'timed out already: left to the time-out',
      request: pending(),
      minutes: 240,
      escalate: false,
    },
  ])('$description', ({ request, minutes, escalate, stage }) => {
    const decision = decideEscalation(policy, target(request.targetId), request, now(minutes));
    expect(decision.escalate).toBe(escalate);
    if (decision.escalate) expect(decision).toEqual({ escalate: true, stage, to: ['backup'] });
  });
});

describe('stageProgress', () => {
  it('says which stage, how far, and who still has to decide', () => {
    const progress = stageProgress(
      policy,
      target('staged'),
      pending({ requester: 'ULEAD3', approvals: [{ approver: 'ULEAD1', at, stage: 0 }] }),
    );
    expect(progress).toMatchObject({ number: 1, count: 2, label: 'team leads', approvals: 1, required: 2 });
    expect(progress.waitingFor.users.filter((u) => !progress.waitingFor.exclude.includes(u))).toEqual([
      'ULEAD2',
    ]);
  });
});

describe('stages in the policy', () => {
  const policyWith = (targetYaml: string) => `
version: 1
people:
  devs: { users: [UDEV1] }
  leads: { users: [ULEAD1] }
targets:
  - { id: t, kind: group, groupName: g, description: T, requesters: [devs], defaultDuration: 1h, maxDuration: 2h, ${targetYaml} }
`;
  const issuesOf = (text: string): readonly string[] => {
    try {
      parsePolicy(text, 'test.yaml');
    } catch (error) {
      expect(error).toBeInstanceOf(PolicyError);
      return (error as PolicyError).issues;
    }
    throw new Error('the policy was accepted');
  };

  it.each([
    {
      description: 'stages and approvers together are refused',
      yaml: 'approvers: [leads], stages: [{ approvers: [leads] }]',
      issue: 'targets[0].stages: is given together with approvers',
    },
    {
      description: 'a stage naming an undefined set is refused',
      yaml: 'stages: [{ approvers: [nobody] }]',
      issue: 'targets[0].stages[0].approvers[0]: "nobody" is not a set defined under people',
    },
    {
      description: 'a stage needing more people than its sets hold is refused',
      yaml: 'stages: [{ approvers: [leads], required: 2 }]',
      issue: 'targets[0].stages[0].required: 2 approvals are required',
    },
    {
      description: 'escalation to an undefined set is refused',
      yaml: 'approvers: [leads], escalation: { after: 30m, to: [ghosts] }',
      issue: 'targets[0].escalation.to[0]: "ghosts" is not a set defined under people',
    },
  ])('$description', ({ yaml, issue }) => {
    const issues = issuesOf(policyWith(yaml));
    expect(
      issues.some((i) => i.includes(issue)),
      issues.join('\n'),
    ).toBe(true);
  });

  it('loads stages with the target approvers as all the stage sets and the count as their sum', () => {
    const staged = target('staged');
    expect(staged.approvers).toEqual(['leads', 'security']);
    expect(staged.approvalsRequired).toBe(3);
    expect(staged.escalation).toEqual({ afterSeconds: 1800, to: ['backup'] });
  });
});
