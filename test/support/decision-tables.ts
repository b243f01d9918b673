import type { ApprovalRefusal, RefusalField, RefusalReason } from '../../shared/domain/decision.js';
import { parsePolicy } from '../../shared/domain/policy-text.js';
import type { RequestStatus } from '../../shared/domain/lifecycle.js';
import { PERMISSION_SET_TARGET, PROD_ACCOUNT, STAGING_ACCOUNT } from './permission-set-policy.js';
import { API_KEYS, type ApiCallerName } from './request-api.js';

/**
 * The decision tables every front door must agree on (issue 14: "the same decision tables pass
 * through Slack and the API"). Each row says what a person does and what the one decision
 * (decideRequest, decideApproval) answers: its stable reason, the form field at fault and the
 * words the person is told. test/functions/request-api/same-decisions.test.ts runs every row
 * through the Slack handler and the request API; door tests point here instead of copying rows.
 */

/**
 * The people of the tables, each a Slack user and the API caller (access key) the policy maps
 * to that same person: whichever door they use, they are one person to the decisions.
 */
export const TABLE_PEOPLE = {
  /** A developer: may request dev-group, prod-ops and shop-admin. */
  UDEV1: 'dev',
  /** Two leads: approvers of every target, and requesters of dev-group. */
  ULEAD1: 'lead',
  ULEAD2: 'lead2',
  /** Security: requester of audit-logs only, approver of nothing. */
  USEC1: 'security',
} as const satisfies Record<string, ApiCallerName>;

/** A person of the tables, by Slack user id. */
export type TablePerson = keyof typeof TABLE_PEOPLE;

/**
 * The tables' own policy: a group approved by the leads in a channel (at most 8h, reason
 * required), a group that needs a ticket, a group only security may request, and a
 * permission-set target granted per account (PROD and STAGING only).
 */
export const DECISION_TABLE_POLICY = parsePolicy(
  `
version: 1
people:
  devs: { users: [UDEV1] }
  leads: { users: [ULEAD1, ULEAD2] }
  security: { users: [USEC1] }
identityEmailDomain: example.com
targets:
  - { id: dev-group, kind: group, groupName: jit-developers, description: Developers, requesters: [devs, leads], approvers: [leads], defaultDuration: 1h, maxDuration: 8h, approvalChannel: CAPPROVE1 }
  - { id: prod-ops, kind: group, groupName: jit-prod-ops, description: Production operations, requesters: [devs], approvers: [leads], defaultDuration: 1h, maxDuration: 4h, requireTicket: true, approvalChannel: CAPPROVE1 }
  - { id: audit-logs, kind: group, groupName: jit-audit-logs, description: Audit logs, requesters: [security], approvers: [leads], defaultDuration: 1h, maxDuration: 2h, approvalChannel: CAPPROVE1 }
  - id: ${PERMISSION_SET_TARGET}
    kind: permission-set
    instanceArn: arn:aws:sso:::instance/ssoins-1111222233334444
    identityStoreId: d-1234567890
    permissionSet: AdministratorAccess
    accounts: ['${PROD_ACCOUNT}', '${STAGING_ACCOUNT}']
    description: Shop administrator
    requesters: [devs]
    approvers: [leads]
    approvalChannel: CAPPROVE1
    defaultDuration: 1h
    maxDuration: 4h
api:
  callers:
${Object.entries(TABLE_PEOPLE)
  .map(([person, caller]) => `    "${API_KEYS[caller].arn}": ${person}`)
  .join('\n')}
`,
  'decision-tables',
);

/** What a person fills in to ask for access (the Slack modal's fields, the API's body). */
export interface AccessAsk {
  readonly target: string;
  /** Duration text as typed (`9h`); absent: the target's default. */
  readonly duration?: string;
  readonly reason?: string;
  readonly ticket?: string;
  /** The accounts picked, for a target granted per account. */
  readonly accounts?: readonly string[];
}

/**
 * A submission the decision refuses: nothing is written (no request, no audit item, no job),
 * and the person is told `message` next to `field`, for `reason`.
 */
export interface SubmissionRefusalRow {
  readonly description: string;
  readonly requester: TablePerson;
  readonly ask: AccessAsk;
  /** The form field at fault (the decision's own field name). */
  readonly field: RefusalField;
  /** The decision's stable reason. */
  readonly reason: RefusalReason;
  /** The exact words of the decision. */
  readonly message: string;
}

export const SUBMISSION_REFUSALS: readonly SubmissionRefusalRow[] = [
  {
    description: 'a duration over the maximum',
    requester: 'UDEV1',
    ask: { target: 'dev-group', duration: '9h', reason: 'deploy' },
    field: 'duration',
    reason: 'duration-over-maximum',
    message: 'dev-group may be granted for at most 480 minutes.',
  },
  {
    description: 'a missing reason',
    requester: 'UDEV1',
    ask: { target: 'dev-group', reason: '  ' },
    field: 'reason',
    reason: 'reason-required',
    message: 'Say why you need this access.',
  },
  {
    description: 'a missing ticket where the target needs one',
    requester: 'UDEV1',
    ask: { target: 'prod-ops', reason: 'rotate keys' },
    field: 'ticket',
    reason: 'ticket-required',
    message: 'prod-ops needs a ticket reference.',
  },
  {
    description: 'a target this person may not request',
    requester: 'UDEV1',
    ask: { target: 'audit-logs', reason: 'curious' },
    field: 'target',
    reason: 'not-eligible',
    message: 'You may not request audit-logs.',
  },
  {
    description: 'a target that is not in the policy',
    requester: 'UDEV1',
    ask: { target: 'nope', reason: 'x' },
    field: 'target',
    reason: 'unknown-target',
    message: 'There is no target "nope".',
  },
  {
    description: 'an account outside the target',
    requester: 'UDEV1',
    ask: { target: PERMISSION_SET_TARGET, reason: 'fix the shop', accounts: ['999999999999'] },
    field: 'accounts',
    reason: 'account-not-allowed',
    message: 'Account 999999999999 is not one this target may be granted in.',
  },
  {
    description: 'no account for a target granted per account',
    requester: 'UDEV1',
    ask: { target: PERMISSION_SET_TARGET, reason: 'fix the shop', accounts: [] },
    field: 'accounts',
    reason: 'account-missing',
    message: 'Choose at least one account.',
  },
];

/**
 * One approval of a request for dev-group (one approval needed): `requester` asks, the
 * `earlier` approvers approve first, then `approver` approves. `outcome` is what that last
 * approval gets: it counts (`approved`), the decision refuses it (`refused`, with `reason`),
 * or the request was decided before it (`already-decided`). `message` is the exact words the
 * approver is told; `after` the request as stored afterwards.
 */
export interface ApprovalRow {
  readonly description: string;
  readonly requester: TablePerson;
  readonly earlier: readonly TablePerson[];
  readonly approver: TablePerson;
  readonly outcome: 'approved' | 'refused' | 'already-decided';
  readonly reason?: ApprovalRefusal;
  readonly message?: string;
  readonly after: { readonly status: RequestStatus; readonly approvers: readonly TablePerson[] };
}

export const APPROVALS: readonly ApprovalRow[] = [
  {
    description: 'self-approval is refused',
    requester: 'ULEAD1',
    earlier: [],
    approver: 'ULEAD1',
    outcome: 'refused',
    reason: 'self-approval',
    message: 'You cannot approve your own request.',
    after: { status: 'PENDING', approvers: [] },
  },
  {
    description: 'someone who is not an approver is refused',
    requester: 'UDEV1',
    earlier: [],
    approver: 'USEC1',
    outcome: 'refused',
    reason: 'not-an-approver',
    message: 'You are not an approver for dev-group.',
    after: { status: 'PENDING', approvers: [] },
  },
  {
    description: 'an approver approves',
    requester: 'UDEV1',
    earlier: [],
    approver: 'ULEAD1',
    outcome: 'approved',
    after: { status: 'APPROVED', approvers: ['ULEAD1'] },
  },
  {
    description: 'a late approver is told it is already decided',
    requester: 'UDEV1',
    earlier: ['ULEAD1'],
    approver: 'ULEAD2',
    outcome: 'already-decided',
    message: 'This request was already decided (it is now APPROVED).',
    after: { status: 'APPROVED', approvers: ['ULEAD1'] },
  },
];
