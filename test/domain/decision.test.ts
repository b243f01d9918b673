import { describe, expect, it } from 'vitest';
import {
  approvalAudience,
  breakGlassTargets,
  decideApproval,
  decideBreakGlass,
  decideCancel,
  decideCredentials,
  decideDenial,
  decideExtension,
  decidePendingFollowUp,
  decideRelease,
  decideRequest,
  decideReview,
  MAX_TICKET_LENGTH,
  type RequestInput,
} from '../../shared/domain/decision.js';
import { parsePerson, personKey, slackPerson, type ResolvedPerson } from '../../shared/domain/person.js';
import { parsePolicy } from '../../shared/domain/policy-text.js';
import type { AccessRequest } from '../../shared/domain/request.js';
import {
  PERMISSION_SET_TARGET,
  PROD_ACCOUNT,
  STAGING_ACCOUNT,
  permissionSetPolicy,
} from '../support/permission-set-policy.js';

const policy = parsePolicy(
  `
version: 1
people:
  devs: { users: [UDEV1, UDEV2], userGroups: [SDEVS] }
  leads: { users: [ULEAD1, ULEAD2, ULEAD3] }
  selfish: { users: [USELF1] }
  oncall: { users: [UONCALL1] }
  security: { users: [USEC1, USEC2] }
breakGlass: { responders: [oncall], reviewers: [security], securityChannel: CSEC1, maxDuration: 1h }
renotifyAfter: 1h
approvalTimeout: 4h
targets:
  - { id: dev-group, kind: group, groupName: jit-developers, description: Developers, requesters: [devs], approvers: [leads], defaultDuration: 1h, maxDuration: 8h }
  - { id: prod-role, kind: role, roleArn: "arn:aws:iam::111122223333:role/jit/Prod", description: Prod, requesters: [devs, oncall], approvers: [leads], approvalsRequired: 2, defaultDuration: 1h, maxDuration: 4h, requireTicket: true, ticketPattern: "^OPS-[0-9]+$", breakGlass: true }
  - { id: self-ok, kind: group, groupName: jit-self, description: Self-approvable, requesters: [selfish, devs], approvers: [selfish, leads], selfApproval: true, defaultDuration: 1h, maxDuration: 2h }
  - { id: sandbox, kind: group, groupName: jit-sandbox, description: Sandbox, requesters: [everyone], autoApprove: true, defaultDuration: 1h, maxDuration: 2h, requireReason: false }
  - { id: ops-group, kind: group, groupName: jit-ops, description: Operations, requesters: [oncall], approvers: [leads], defaultDuration: 1h, maxDuration: 2h, breakGlass: true }
`,
  'decision-test-policy',
);

const who = (userId: string, userGroups: string[] = []): ResolvedPerson => ({
  person: slackPerson(userId),
  groups: userGroups,
});
const base = (overrides: Partial<RequestInput>): RequestInput => ({
  requester: who('UDEV1'),
  targetId: 'dev-group',
  reason: 'deploy hotfix',
  ...overrides,
});

describe('decideRequest', () => {
  it.each([
    {
      description: 'an eligible developer needs one lead',
      input: base({}),
      outcome: 'needs-approval',
      reason: 'requires-approval',
    },
    {
      description: 'membership through a Slack user group counts',
      input: base({ requester: who('UOTHER', ['SDEVS']) }),
      outcome: 'needs-approval',
      reason: 'requires-approval',
    },
    {
      description: 'a requester in no requester set is not eligible',
      input: base({ requester: who('UOUTSIDER') }),
      outcome: 'refused',
      reason: 'not-eligible',
    },
    {
      description: 'an unknown target is refused',
      input: base({ targetId: 'nope' }),
      outcome: 'refused',
      reason: 'unknown-target',
    },
    {
      description: 'a duration over the maximum is refused',
      input: base({ durationSeconds: 9 * 3600 }),
      outcome: 'refused',
      reason: 'duration-over-maximum',
    },
    {
      description: 'exactly the maximum is allowed',
      input: base({ durationSeconds: 8 * 3600 }),
      outcome: 'needs-approval',
      reason: 'requires-approval',
    },
    {
      description: 'a zero duration is refused',
      input: base({ durationSeconds: 0 }),
      outcome: 'refused',
      reason: 'invalid-duration',
    },
    {
      description: 'a missing reason is refused where required',
      input: base({ reason: '   ' }),
      outcome: 'refused',
      reason: 'reason-required',
    },
    {
      description: 'an oversized reason is refused',
      input: base({ reason: 'x'.repeat(501) }),
      outcome: 'refused',
      reason: 'reason-too-long',
    },
    {
      description: 'a reason hiding an ANSI escape is refused',
      input: base({ reason: 'routine \u001b[2Jcheck' }),
      outcome: 'refused',
      reason: 'reason-invalid',
    },
    {
      description: 'a reason with a bidi override is refused',
      input: base({ reason: 'fix \u202Etxt.exe' }),
      outcome: 'refused',
      reason: 'reason-invalid',
    },
    {
      description: "a multi-line reason (Slack's multi-line input) is accepted",
      input: base({ reason: 'incident INC-7\nneed to restart the workers' }),
      outcome: 'needs-approval',
      reason: 'requires-approval',
    },
    {
      description: 'a ticket with a bell character is refused',
      input: base({ ticket: 'OPS-42\u0007' }),
      outcome: 'refused',
      reason: 'ticket-invalid',
    },
    {
      description: 'a ticket over two lines is refused (a ticket is one line)',
      input: base({ ticket: 'OPS-4\n2' }),
      outcome: 'refused',
      reason: 'ticket-invalid',
    },
    {
      description: 'a missing ticket is refused where required',
      input: base({ targetId: 'prod-role' }),
      outcome: 'refused',
      reason: 'ticket-required',
    },
    {
      description: 'a ticket not matching the pattern is refused',
      input: base({ targetId: 'prod-role', ticket: 'JIRA-1' }),
      outcome: 'refused',
      reason: 'ticket-invalid',
    },
    {
      description: 'a matching ticket needs two approvals',
      input: base({ targetId: 'prod-role', ticket: 'OPS-42' }),
      outcome: 'needs-approval',
      reason: 'requires-approval',
    },
    {
      description: 'an auto-approved target is open to everyone',
      input: base({ requester: who('UANYONE'), targetId: 'sandbox', reason: '' }),
      outcome: 'auto-approved',
      reason: 'auto-approval',
    },
  ])('$description', ({ input, outcome, reason }) => {
    const decision = decideRequest(policy, input);
    expect(decision.allowed ? decision.approval : 'refused').toBe(outcome);
    expect(decision.reason).toBe(reason);
  });

  it('uses the target default duration and reports the approval rule', () => {
    const decision = decideRequest(policy, base({ targetId: 'prod-role', ticket: 'OPS-1' }));
    expect(decision).toMatchObject({ durationSeconds: 3600, approvalsRequired: 2, approvers: ['leads'] });
  });

  it('names the field and the character of a control-character refusal', () => {
    expect(decideRequest(policy, base({ reason: 'ok\u001b[31m' }))).toMatchObject({
      field: 'reason',
      message:
        'The reason contains an invisible control character (U+001B); remove it (line breaks are fine).',
    });
    expect(decideRequest(policy, base({ targetId: 'prod-role', ticket: 'OPS-1\u2066' }))).toMatchObject({
      field: 'ticket',
      message: 'The ticket reference contains an invisible control character (U+2066); remove it.',
    });
  });

  it('names the modal field of a refusal', () => {
    expect(decideRequest(policy, base({ targetId: 'prod-role' }))).toMatchObject({ field: 'ticket' });
    expect(decideRequest(policy, base({ durationSeconds: 99 * 3600 }))).toMatchObject({ field: 'duration' });
  });
});

describe('decideRequest: the account rule of a target granted per account', () => {
  const psPolicy = permissionSetPolicy();
  const allowedAccounts = [PROD_ACCOUNT, STAGING_ACCOUNT];
  const ps = (overrides: Partial<RequestInput>): RequestInput =>
    base({ targetId: PERMISSION_SET_TARGET, allowedAccounts, ...overrides });

  it.each([
    {
      description: 'no account',
      input: ps({}),
      refusal: 'account-missing',
      message: 'Choose at least one account.',
    },
    {
      description: 'an empty list',
      input: ps({ accounts: [] }),
      refusal: 'account-missing',
      message: 'Choose at least one account.',
    },
    {
      description: 'an account the target does not reach',
      input: ps({ accounts: [PROD_ACCOUNT, '999999999999'] }),
      refusal: 'account-not-allowed',
      message: 'Account 999999999999 is not one this target may be granted in.',
    },
    {
      description: 'one allowed account',
      input: ps({ accounts: [PROD_ACCOUNT] }),
      refusal: undefined,
      message: undefined,
    },
    {
      description: 'two allowed accounts',
      input: ps({ accounts: allowedAccounts }),
      refusal: undefined,
      message: undefined,
    },
    {
      description: 'no account when the reach is unknown (not granted per account)',
      input: base({ targetId: 'dev-group' }),
      refusal: undefined,
      message: undefined,
    },
  ])('$description', ({ input, refusal, message }) => {
    const decision = decideRequest(psPolicy, input);
    if (refusal === undefined) expect(decision.allowed).toBe(true);
    else expect(decision).toEqual({ allowed: false, reason: refusal, message, field: 'accounts' });
  });
});

function pending(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return {
    id: 'r1',
    requester: 'UDEV1',
    principal: 'dev1@example.com',
    targetId: 'prod-role',
    targetKind: 'role',
    durationSeconds: 3600,
    reason: 'incident',
    ticket: 'OPS-1',
    status: 'PENDING',
    version: 1,
    createdAt: '2026-11-27T09:00:00.000Z',
    updatedAt: '2026-11-27T09:00:00.000Z',
    approvalsRequired: 2,
    approvals: [],
    breakGlass: false,
    ...overrides,
  };
}

describe('decideApproval', () => {
  it.each([
    {
      description: 'a lead approves: one of two',
      request: pending(),
      approver: who('ULEAD1'),
      outcome: 'counted',
      reason: 'approval-recorded',
    },
    {
      description: 'a second distinct lead completes M-of-N',
      request: pending({ approvals: [{ approver: 'ULEAD1', at: 'x' }] }),
      approver: who('ULEAD2'),
      outcome: 'counted',
      reason: 'approvals-complete',
    },
    {
      description: 'the same lead twice does not count twice',
      request: pending({ approvals: [{ approver: 'ULEAD1', at: 'x' }] }),
      approver: who('ULEAD1'),
      outcome: 'refused',
      reason: 'already-approved',
    },
    {
      description: 'self-approval is refused by default',
      request: pending({ requester: 'ULEAD1' }),
      approver: who('ULEAD1'),
      outcome: 'refused',
      reason: 'self-approval',
    },
    {
      description: 'a non-approver is refused',
      request: pending(),
      approver: who('UDEV2'),
      outcome: 'refused',
      reason: 'not-an-approver',
    },
    {
      description: 'a decided request cannot be approved',
      request: pending({ status: 'EXPIRED' }),
      approver: who('ULEAD1'),
      outcome: 'refused',
      reason: 'not-pending',
    },
    {
      description: 'self-approval counts where the rule allows it',
      request: pending({ targetId: 'self-ok', requester: 'USELF1', approvalsRequired: 1 }),
      approver: who('USELF1'),
      outcome: 'counted',
      reason: 'approvals-complete',
    },
    {
      description: 'a target removed from the policy cannot be approved',
      request: pending({ targetId: 'gone' }),
      approver: who('ULEAD1'),
      outcome: 'refused',
      reason: 'unknown-target',
    },
  ])('$description', ({ request, approver, outcome, reason }) => {
    const decision = decideApproval(policy, request, approver);
    expect(decision.allowed ? 'counted' : 'refused').toBe(outcome);
    expect(decision.reason).toBe(reason);
  });

  it('reports M-of-N progress', () => {
    expect(decideApproval(policy, pending(), who('ULEAD3'))).toMatchObject({
      approvals: 1,
      approvalsRequired: 2,
      complete: false,
    });
  });
});

describe('approvalAudience', () => {
  it.each([
    {
      description: 'the approver sets, without the requester',
      targetId: 'prod-role',
      requester: 'ULEAD1',
      expected: {
        users: ['ULEAD1', 'ULEAD2', 'ULEAD3'],
        userGroups: [],
        emails: [],
        idpGroups: [],
        exclude: ['ULEAD1'],
      },
    },
    {
      description: 'the requester stays in when the rule allows self-approval',
      targetId: 'self-ok',
      requester: 'USELF1',
      expected: {
        users: ['USELF1', 'ULEAD1', 'ULEAD2', 'ULEAD3'],
        userGroups: [],
        emails: [],
        idpGroups: [],
        exclude: [],
      },
    },
  ])('$description', ({ targetId, requester, expected }) => {
    const target = policy.targets.find((t) => t.id === targetId);
    if (!target) throw new Error(`no target ${targetId}`);
    expect(approvalAudience(policy, target, { requester })).toEqual(expected);
  });
});

describe('decideDenial', () => {
  it.each([
    { description: 'an approver may deny', request: pending(), person: who('ULEAD2'), allowed: true },
    { description: 'a non-approver may not deny', request: pending(), person: who('UDEV2'), allowed: false },
    {
      description: 'a decided request cannot be denied',
      request: pending({ status: 'APPROVED' }),
      person: who('ULEAD2'),
      allowed: false,
    },
  ])('$description', ({ request, person, allowed }) => {
    expect(decideDenial(policy, request, person).allowed).toBe(allowed);
  });
});

describe('decideBreakGlass', () => {
  const glass = (overrides: Partial<RequestInput>): RequestInput => ({
    requester: who('UONCALL1'),
    targetId: 'prod-role',
    reason: 'site down',
    ticket: 'OPS-42',
    ...overrides,
  });
  it.each([
    {
      description: 'a listed responder on a listed target is allowed',
      input: glass({}),
      outcome: 'allowed',
      reason: 'break-glass-allowed',
      field: undefined,
    },
    {
      description: 'someone who is not a responder is refused',
      input: glass({ requester: who('UDEV1') }),
      outcome: 'refused',
      reason: 'not-a-responder',
      field: 'target',
    },
    {
      description: 'a target not marked breakGlass is refused',
      input: glass({ targetId: 'dev-group' }),
      outcome: 'refused',
      reason: 'target-not-break-glass',
      field: 'target',
    },
    {
      description: 'a reason is mandatory',
      input: glass({ reason: '' }),
      outcome: 'refused',
      reason: 'reason-required',
      field: 'reason',
    },
    {
      description: 'longer than the break-glass maximum is refused',
      input: glass({ durationSeconds: 2 * 3600 }),
      outcome: 'refused',
      reason: 'duration-over-maximum',
      field: 'duration',
    },
    {
      description: 'an unknown target is refused',
      input: glass({ targetId: 'nope' }),
      outcome: 'refused',
      reason: 'unknown-target',
      field: 'target',
    },
    {
      description: 'a reason over the limit is refused on the reason field',
      input: glass({ reason: 'x'.repeat(501) }),
      outcome: 'refused',
      reason: 'reason-too-long',
      field: 'reason',
    },
    {
      description: 'a reason with an escape sequence is refused on the reason field',
      input: glass({ reason: 'db down \u001b]0;owned\u0007' }),
      outcome: 'refused',
      reason: 'reason-invalid',
      field: 'reason',
    },
    {
      description: 'a ticket with a C1 control is refused on the ticket field, required or not',
      input: glass({ targetId: 'ops-group', ticket: 'INC-1\u009b' }),
      outcome: 'refused',
      reason: 'ticket-invalid',
      field: 'ticket',
    },
    {
      description: 'a duration that is not a positive length is refused on the duration field',
      input: glass({ durationSeconds: 0 }),
      outcome: 'refused',
      reason: 'invalid-duration',
      field: 'duration',
    },
    {
      description: 'a responder may break glass before the incident has a ticket',
      input: glass({ ticket: undefined }),
      outcome: 'allowed',
      reason: 'break-glass-allowed',
      field: undefined,
    },
    {
      description: 'a blank ticket counts as none',
      input: glass({ ticket: '   ' }),
      outcome: 'allowed',
      reason: 'break-glass-allowed',
      field: undefined,
    },
    {
      description: "a ticket that does not match the target's pattern is refused",
      input: glass({ ticket: 'INC-42' }),
      outcome: 'refused',
      reason: 'ticket-invalid',
      field: 'ticket',
    },
    {
      description: 'a ticket over the length limit is refused even where the pattern would match',
      input: glass({ ticket: `OPS-${'1'.repeat(MAX_TICKET_LENGTH)}` }),
      outcome: 'refused',
      reason: 'ticket-invalid',
      field: 'ticket',
    },
    {
      description: 'a target without a ticket rule allows break-glass with no ticket',
      input: glass({ targetId: 'ops-group', ticket: undefined }),
      outcome: 'allowed',
      reason: 'break-glass-allowed',
      field: undefined,
    },
    {
      description: 'a target without a ticket rule still refuses a ticket over the length limit',
      input: glass({ targetId: 'ops-group', ticket: 'x'.repeat(MAX_TICKET_LENGTH + 1) }),
      outcome: 'refused',
      reason: 'ticket-invalid',
      field: 'ticket',
    },
    {
      description: 'a ticket of exactly the length limit is accepted where no ticket is required',
      input: glass({ targetId: 'ops-group', ticket: 'x'.repeat(MAX_TICKET_LENGTH) }),
      outcome: 'allowed',
      reason: 'break-glass-allowed',
      field: undefined,
    },
  ])('$description', ({ input, outcome, reason, field }) => {
    const decision = decideBreakGlass(policy, input);
    expect(decision.allowed ? 'allowed' : 'refused').toBe(outcome);
    expect(decision.reason).toBe(reason);
    expect(decision.allowed ? undefined : decision.field).toBe(field);
  });

  it('is refused everywhere when the policy has no break-glass section', () => {
    const noGlass = parsePolicy(
      `version: 1
people: { a: { users: [UA1, UA2] } }
targets: [{ id: t, kind: group, groupName: g, description: d, requesters: [a], approvers: [a], defaultDuration: 1h, maxDuration: 1h }]`,
    );
    expect(decideBreakGlass(noGlass, glass({ targetId: 't', requester: who('UA1') })).reason).toBe(
      'break-glass-disabled',
    );
    expect(decideBreakGlass(noGlass, glass({ targetId: 't', requester: who('UA1') }))).not.toHaveProperty(
      'field',
    );
  });
});

describe('decideReview', () => {
  const glassGrant = pending({ status: 'ACTIVE', breakGlass: true, requester: 'UONCALL1' });
  it.each([
    {
      description: 'a security reviewer may review',
      request: glassGrant,
      person: who('USEC1'),
      allowed: true,
    },
    { description: 'a non-reviewer may not', request: glassGrant, person: who('ULEAD1'), allowed: false },
    {
      description: 'a normal grant is not reviewed',
      request: pending({ status: 'ACTIVE' }),
      person: who('USEC1'),
      allowed: false,
    },
    {
      description: 'a review happens once',
      request: { ...glassGrant, reviewedAt: 'x' },
      person: who('USEC1'),
      allowed: false,
    },
  ])('$description', ({ request, person, allowed }) => {
    expect(decideReview(policy, request, person).allowed).toBe(allowed);
  });
});

describe('decidePendingFollowUp', () => {
  const at = (iso: string) => new Date(iso);
  it.each([
    {
      description: 'a fresh request waits',
      request: pending(),
      now: at('2026-11-27T09:30:00Z'),
      action: 'none',
    },
    {
      description: 'after renotifyAfter approvers are reminded',
      request: pending(),
      now: at('2026-11-27T10:00:00Z'),
      action: 'renotify',
    },
    {
      description: 'they are reminded only once',
      request: pending({ renotifiedAt: '2026-11-27T10:00:00Z' }),
      now: at('2026-11-27T11:00:00Z'),
      action: 'none',
    },
    {
      description: 'after approvalTimeout it times out',
      request: pending({ renotifiedAt: 'x' }),
      now: at('2026-11-27T13:00:00Z'),
      action: 'time-out',
    },
    {
      description: 'a decided request is left alone',
      request: pending({ status: 'DENIED' }),
      now: at('2026-11-28T13:00:00Z'),
      action: 'none',
    },
  ])('$description', ({ request, now, action }) => {
    expect(decidePendingFollowUp(policy, request, now)).toBe(action);
  });
});

/** 'allowed', or the reason of the refusal: what the tables below compare. */
const verdict = (decision: { allowed: true } | { allowed: false; reason: string }) =>
  decision.allowed ? 'allowed' : decision.reason;

/** A row of the requester-only tables: the request's status, who asks (UDEV1 holds it). */
interface HolderRow {
  readonly description: string;
  readonly status: AccessRequest['status'];
  readonly by?: string;
  /** 'allowed', or the reason of the refusal. */
  readonly expected: string;
  /** What a refusal tells the person. */
  readonly message?: string;
}

/** Runs a requester-only table against `decide`: the whole decision, message included. */
function itDecidesForTheHolder(
  decide: (
    request: AccessRequest,
    by: string,
  ) => { allowed: true } | { allowed: false; reason: string; message: string },
  rows: readonly HolderRow[],
) {
  it.each(rows)('$description', ({ status, by = 'UDEV1', expected, message }) => {
    expect(decide(pending({ status }), by)).toEqual(
      expected === 'allowed' ? { allowed: true } : { allowed: false, reason: expected, message },
    );
  });
}

describe('decideExtension', () => {
  const only = 'Only your own live grants can be extended.';
  itDecidesForTheHolder(decideExtension, [
    { description: 'the holder of an active grant may extend it', status: 'ACTIVE', expected: 'allowed' },
    {
      description: 'the holder of a grant being set up may extend it',
      status: 'APPROVED',
      expected: 'allowed',
    },
    {
      description: "someone else's grant may not be extended",
      status: 'ACTIVE',
      by: 'UDEV2',
      expected: 'not-requester',
      message: only,
    },
    {
      description: 'an approver of the rule is not its holder either',
      status: 'ACTIVE',
      by: 'ULEAD1',
      expected: 'not-requester',
      message: only,
    },
    { description: 'an expired grant is over', status: 'EXPIRED', expected: 'not-live', message: only },
    { description: 'a revoked grant is over', status: 'REVOKED', expected: 'not-live', message: only },
    {
      description: 'a pending request is not a grant yet',
      status: 'PENDING',
      expected: 'not-live',
      message: only,
    },
    {
      description: "someone else's ended grant: the holder check comes first",
      status: 'EXPIRED',
      by: 'UDEV2',
      expected: 'not-requester',
      message: only,
    },
  ]);
});

describe('decideCancel', () => {
  const onlyRequester = 'Only the requester can cancel a request.';
  itDecidesForTheHolder(decideCancel, [
    { description: 'the requester may cancel a pending request', status: 'PENDING', expected: 'allowed' },
    {
      description: 'someone else may not',
      status: 'PENDING',
      by: 'UDEV2',
      expected: 'not-requester',
      message: onlyRequester,
    },
    {
      description: 'an approver may not (they deny instead)',
      status: 'PENDING',
      by: 'ULEAD1',
      expected: 'not-requester',
      message: onlyRequester,
    },
    {
      description: 'an approved request is past cancelling',
      status: 'APPROVED',
      expected: 'not-pending',
      message: 'This request is already APPROVED.',
    },
    {
      description: 'a cancelled request is not cancelled twice',
      status: 'CANCELLED',
      expected: 'not-pending',
      message: 'This request is already CANCELLED.',
    },
    {
      description: 'a timed-out request stays timed out',
      status: 'TIMED_OUT',
      expected: 'not-pending',
      message: 'This request is already TIMED_OUT.',
    },
  ]);
});

describe('decideRelease', () => {
  const onlyHolder = 'Only the person who holds a grant can release it.';
  itDecidesForTheHolder(decideRelease, [
    { description: 'the holder may release an active grant', status: 'ACTIVE', expected: 'allowed' },
    { description: 'the holder may release a grant being set up', status: 'APPROVED', expected: 'allowed' },
    {
      description: 'someone else may not',
      status: 'ACTIVE',
      by: 'UDEV2',
      expected: 'not-requester',
      message: onlyHolder,
    },
    {
      description: 'a pending request is cancelled, not released',
      status: 'PENDING',
      expected: 'not-live',
      message: 'This grant is already PENDING.',
    },
    {
      description: 'an expired grant has nothing left to release',
      status: 'EXPIRED',
      expected: 'not-live',
      message: 'This grant is already EXPIRED.',
    },
    {
      description: 'a revoked grant has nothing left to release',
      status: 'REVOKED',
      expected: 'not-live',
      message: 'This grant is already REVOKED.',
    },
  ]);
});

describe('decideCredentials', () => {
  const live = (overrides: Partial<AccessRequest> = {}) =>
    pending({
      status: 'ACTIVE',
      startsAt: '2026-11-27T09:00:00.000Z',
      endsAt: '2026-11-27T10:00:00.000Z',
      ...overrides,
    });
  /** A time of day on the grant's day. */
  const at = (time: string) => new Date(`2026-11-27T${time}Z`);
  /** Defaults: UDEV1 asks at 09:30 about their ACTIVE prod-role grant, 09:00 to 10:00. */
  const rows: {
    description: string;
    grant?: Partial<AccessRequest>;
    by?: string;
    now?: string;
    expected: string;
    /** What the refusal says, where the wording matters. */
    message?: RegExp;
  }[] = [
    { description: 'the holder of an active role grant, inside its window', expected: 'allowed' },
    { description: 'the first second of the window counts', now: '09:00:00', expected: 'allowed' },
    { description: 'the last second of the window counts', now: '09:59:59', expected: 'allowed' },
    {
      description: 'someone else gets nothing',
      by: 'UDEV2',
      expected: 'not-requester',
      message: /^Only the person/,
    },
    { description: 'an approver gets nothing either', by: 'ULEAD1', expected: 'not-requester' },
    {
      description: 'a group grant',
      grant: { targetKind: 'group' },
      expected: 'not-a-role',
      message: /group grant.*group membership/,
    },
    {
      description: 'a grant being set up',
      grant: { status: 'APPROVED' },
      expected: 'being-set-up',
      message: /try again/,
    },
    { description: 'a pending request', grant: { status: 'PENDING' }, expected: 'not-active' },
    {
      description: 'a revoked grant inside its old window',
      grant: { status: 'REVOKED' },
      expected: 'not-active',
      message: /REVOKED; no credentials/,
    },
    {
      description: 'an expired grant',
      grant: { status: 'EXPIRED' },
      now: '10:30:00',
      expected: 'not-active',
    },
    {
      description: 'an ACTIVE grant whose release was asked for (not yet confirmed by AWS)',
      grant: {
        endRequest: { kind: 'release', by: 'UDEV1', at: '2026-11-27T09:10:00.000Z', reason: 'done' },
      },
      expected: 'being-ended',
      message: /being ended/,
    },
    {
      description: 'an ACTIVE grant at its end (not yet swept)',
      now: '10:00:00',
      expected: 'window-closed',
      message: /ended/,
    },
    { description: 'an ACTIVE grant before its window opens', now: '08:59:59', expected: 'window-closed' },
    {
      description: 'an ACTIVE grant with no window',
      grant: { startsAt: undefined, endsAt: undefined },
      expected: 'window-closed',
    },
    {
      description: 'a target gone from the policy',
      grant: { targetId: 'gone' },
      expected: 'target-not-a-role',
      message: /gone is no longer a role/,
    },
    {
      description: 'a target now a group in the policy',
      grant: { targetId: 'ops-group' },
      expected: 'target-not-a-role',
    },
    {
      description: "someone else's group grant: holder first",
      grant: { targetKind: 'group' },
      by: 'UDEV2',
      expected: 'not-requester',
    },
  ];
  it.each(rows)('$description', ({ grant, by = 'UDEV1', now = '09:30:00', expected, message }) => {
    const decision = decideCredentials(policy, live(grant), by, at(now));
    expect(verdict(decision)).toBe(expected);
    if (message) expect(decision.allowed ? '' : decision.message).toMatch(message);
  });

  it('hands over the role and the window the session must not outlive', () => {
    expect(decideCredentials(policy, live(), 'UDEV1', at('09:30:00'))).toMatchObject({
      allowed: true,
      target: { id: 'prod-role', kind: 'role', roleArn: 'arn:aws:iam::111122223333:role/jit/Prod' },
      window: { startsAt: at('09:00:00'), endsAt: at('10:00:00') },
    });
  });
});

describe('breakGlassTargets', () => {
  const noGlass = parsePolicy(
    `version: 1
people: { oncall: { users: [UONCALL1, UONCALL2] } }
targets: [{ id: t, kind: group, groupName: g, description: d, requesters: [oncall], approvers: [oncall], defaultDuration: 1h, maxDuration: 1h }]`,
  );
  const noTargets = parsePolicy(
    `version: 1
people: { oncall: { users: [UONCALL1] }, security: { users: [USEC1] } }
breakGlass: { responders: [oncall], reviewers: [security], securityChannel: CSEC1, maxDuration: 1h }
targets: [{ id: t, kind: group, groupName: g, description: d, requesters: [oncall], approvers: [security], defaultDuration: 1h, maxDuration: 1h }]`,
  );
  it.each([
    {
      description: 'a listed responder sees the break-glass targets',
      rules: policy,
      person: who('UONCALL1'),
      expected: 'allowed',
    },
    {
      description: 'a developer is not a responder',
      rules: policy,
      person: who('UDEV1'),
      expected: 'not-a-responder',
    },
    {
      description: 'a break-glass reviewer is not a responder either',
      rules: policy,
      person: who('USEC1'),
      expected: 'not-a-responder',
    },
    {
      description: 'an approver is not a responder either',
      rules: policy,
      person: who('ULEAD1'),
      expected: 'not-a-responder',
    },
    {
      description: 'no break-glass section: nobody breaks glass',
      rules: noGlass,
      person: who('UONCALL1'),
      expected: 'break-glass-disabled',
    },
    {
      description: 'no target marked break-glass: nothing to offer',
      rules: noTargets,
      person: who('UONCALL1'),
      expected: 'no-targets',
    },
  ])('$description', ({ rules, person, expected }) => {
    expect(verdict(breakGlassTargets(rules, person))).toBe(expected);
  });

  it('offers only the targets marked break-glass, with the break-glass maximum', () => {
    const choices = breakGlassTargets(policy, who('UONCALL1'));
    expect(choices.allowed ? choices.targets.map((t) => t.id) : choices.reason).toEqual([
      'prod-role',
      'ops-group',
    ]);
    expect(choices).toMatchObject({ maxDurationSeconds: 3600 });
  });

  it('refuses a non-responder with the sentence the form shows', () => {
    expect(breakGlassTargets(policy, who('UDEV1'))).toEqual({
      allowed: false,
      reason: 'not-a-responder',
      message: 'Only on-call responders may break glass.',
    });
  });
});

describe('a person from another provider', () => {
  const oidcPolicy = parsePolicy(`
version: 1
people:
  devs: { emails: [alice@example.com] }
  leads: { users: ["oidc:bob@example.com"], idpGroups: [leads] }
targets:
  - { id: t, kind: group, groupName: g, description: d, requesters: [devs], approvers: [leads], defaultDuration: 1h, maxDuration: 2h }
`);
  const alice: ResolvedPerson = {
    person: parsePerson('oidc:alice@example.com'),
    email: 'alice@example.com',
    groups: [],
  };
  const bob: ResolvedPerson = { person: parsePerson('oidc:bob@example.com'), groups: [] };

  it('is decided on by email and qualified id, with no Slack involved', () => {
    expect(decideRequest(oidcPolicy, { requester: alice, targetId: 't', reason: 'debug' })).toMatchObject({
      allowed: true,
      approval: 'needs-approval',
    });
    const request = pending({ targetId: 't', requester: personKey(alice.person), approvalsRequired: 1 });
    expect(decideApproval(oidcPolicy, request, bob)).toMatchObject({ allowed: true, complete: true });
    // Her own request: recognised through the canonical key the request stores.
    expect(decideApproval(oidcPolicy, request, alice)).toMatchObject({
      allowed: false,
      reason: 'self-approval',
    });
    expect(
      decideApproval(oidcPolicy, request, { person: parsePerson('oidc:carol'), groups: ['leads'] }),
    ).toMatchObject({ allowed: true });
  });

  it('is refused when their email is not in the set', () => {
    expect(
      decideRequest(oidcPolicy, {
        requester: { ...alice, email: 'mallory@example.com' },
        targetId: 't',
        reason: 'x',
      }),
    ).toEqual({ allowed: false, reason: 'not-eligible', message: 'You may not request t.', field: 'target' });
  });
});
