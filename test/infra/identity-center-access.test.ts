import { parsePolicy } from '../../shared/domain/policy-text.js';
import { TEST_POLICY_YAML } from '../support/fakes.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { PERMISSION_SET_LIFECYCLE_ACTIONS } from '../../infra/constructs/identity-center-access.js';
import { identityCenterReach, MANAGED_PERMISSION_SET_TAG } from '../../infra/identity-center-targets.js';
import { loadPolicyFile } from '../../shared/config/policy-file.js';
import { synthBroker, type SynthResult } from './synth-broker.js';
import { list, render, SYNTH_TIMEOUT_MS, templateStatements, type Statement } from './template-statements.js';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
const EXACT = fixture('identity-center-exact.yaml');
const NAMED = fixture('identity-center-named.yaml');

const P = '<AWS::Partition>';
const INSTANCE = 'arn:aws:sso:::instance/ssoins-1111222233334444';
const SET = 'arn:aws:sso:::permissionSet/ssoins-1111222233334444/ps-aaaabbbbccccdddd';
const STORE = `arn:${P}:identitystore::<AWS::AccountId>:identitystore/d-1234567890`;
const ALL_USERS = `arn:${P}:identitystore:::user/*`;
const ALL_MEMBERSHIPS = `arn:${P}:identitystore:::membership/*`;
const AGENT_ROLE = `arn:${P}:iam::444455556666:role/jit-broker-agent`;
const TAG_CONDITION = `aws:ResourceTag/${MANAGED_PERMISSION_SET_TAG.key}`;

const ROLES = { worker: 'GrantWorkerRole', sweeper: 'SweeperRole', reconciler: 'ReconcilerRole' } as const;
const isIdentityCenterAction = (action: string) => /^(sso|identitystore|organizations):/.test(action);

describe('Identity Center, Organizations and agent-role permissions, from a policy naming them exactly', () => {
  let synth: SynthResult;
  let read: ReturnType<typeof templateStatements>;
  beforeAll(() => {
    // cdk-nag runs here: an unacknowledged finding throws.
    synth = synthBroker({ context: { policyFile: EXACT } });
    read = templateStatements(synth);
  }, SYNTH_TIMEOUT_MS);

  it('lets the worker assign and seal only the named set, in the named instance and accounts', () => {
    const worker = read.ofRole(ROLES.worker);
    const exact = [
      INSTANCE,
      `arn:${P}:sso:::account/111111111111`,
      `arn:${P}:sso:::account/222222222222`,
      SET,
    ].sort();
    for (const action of [
      'sso:CreateAccountAssignment',
      'sso:DeleteAccountAssignment',
      'sso:ProvisionPermissionSet',
      'sso:PutInlinePolicyToPermissionSet',
      'sso:GetInlinePolicyForPermissionSet',
      'sso:DeleteInlinePolicyFromPermissionSet',
      'sso:DescribePermissionSet',
    ]) {
      expect(read.resourcesFor(worker, action), action).toEqual(exact);
    }
    for (const action of [
      'sso:DescribeAccountAssignmentCreationStatus',
      'sso:DescribeAccountAssignmentDeletionStatus',
      'sso:DescribePermissionSetProvisioningStatus',
      'sso:ListPermissionSets',
    ]) {
      expect(read.resourcesFor(worker, action), action).toEqual([INSTANCE]);
    }
  });

  it('scopes identity store actions to the store, the named group, and its users and memberships', () => {
    const worker = read.ofRole(ROLES.worker);
    expect(read.resourcesFor(worker, 'identitystore:GetUserId')).toEqual([STORE, ALL_USERS].sort());
    const group = `arn:${P}:identitystore:::group/906781b4c1-1234abcd-1234-1234-1234-123456789012`;
    for (const action of [
      'identitystore:CreateGroupMembership',
      'identitystore:DeleteGroupMembership',
      'identitystore:GetGroupId',
      'identitystore:GetGroupMembershipId',
      'identitystore:ListGroupMemberships',
    ]) {
      expect(read.resourcesFor(worker, action), action).toEqual(
        [STORE, group, ALL_USERS, ALL_MEMBERSHIPS].sort(),
      );
    }
  });

  it('reads account names of the named accounts only, and no OU (the policy names none)', () => {
    const worker = read.ofRole(ROLES.worker);
    expect(read.resourcesFor(worker, 'organizations:DescribeAccount')).toEqual([
      `arn:${P}:organizations::*:account/o-*/111111111111`,
      `arn:${P}:organizations::*:account/o-*/222222222222`,
    ]);
    expect(read.resourcesFor(worker, 'organizations:ListAccountsForParent')).toEqual([]);
    expect(read.resourcesFor(worker, 'organizations:ListChildren')).toEqual([]);
  });

  it('lets the Slack role read the names of the named accounts and set, and change nothing', () => {
    const slack = read.ofRole('SlackRole');
    expect(read.resourcesFor(slack, 'organizations:DescribeAccount')).toEqual([
      `arn:${P}:organizations::*:account/o-*/111111111111`,
      `arn:${P}:organizations::*:account/o-*/222222222222`,
    ]);
    expect(read.resourcesFor(slack, 'sso:DescribePermissionSet')).toEqual([INSTANCE, SET].sort());
    expect(read.resourcesFor(slack, 'organizations:ListAccountsForParent')).toEqual([]);
    const identityCenterActions = slack.flatMap((s) => list(s.Action)).filter(isIdentityCenterAction);
    expect([...new Set(identityCenterActions)].sort()).toEqual([
      'organizations:DescribeAccount',
      'sso:DescribePermissionSet',
    ]);
  });

  it('lets the request API role read the same names as the Slack role (its --account check), and change nothing', () => {
    const slack = read.ofRole('SlackRole');
    const api = read.ofRole('RequestApiRole');
    for (const action of ['organizations:DescribeAccount', 'sso:DescribePermissionSet'])
      expect(read.resourcesFor(api, action), action).toEqual(read.resourcesFor(slack, action));
    expect(read.resourcesFor(api, 'organizations:DescribeAccount')).toEqual([
      `arn:${P}:organizations::*:account/o-*/111111111111`,
      `arn:${P}:organizations::*:account/o-*/222222222222`,
    ]);
    const identityCenterActions = api.flatMap((s) => list(s.Action)).filter(isIdentityCenterAction);
    expect([...new Set(identityCenterActions)].sort()).toEqual([
      'organizations:DescribeAccount',
      'sso:DescribePermissionSet',
    ]);
  });

  it('lets the console API role read the same names as the Slack role (its accounts picker), and change nothing', () => {
    const slack = read.ofRole('SlackRole');
    const consoleApi = read.ofRole('ConsoleApiRole');
    for (const action of ['organizations:DescribeAccount', 'sso:DescribePermissionSet'])
      expect(read.resourcesFor(consoleApi, action), action).toEqual(read.resourcesFor(slack, action));
    expect(read.resourcesFor(consoleApi, 'organizations:DescribeAccount')).toEqual([
      `arn:${P}:organizations::*:account/o-*/111111111111`,
      `arn:${P}:organizations::*:account/o-*/222222222222`,
    ]);
    const identityCenterActions = consoleApi.flatMap((s) => list(s.Action)).filter(isIdentityCenterAction);
    expect([...new Set(identityCenterActions)].sort()).toEqual([
      'organizations:DescribeAccount',
      'sso:DescribePermissionSet',
    ]);
  });

  it('lets the sweeper read the names its expiry and end messages give (as the worker does)', () => {
    const worker = read.ofRole(ROLES.worker);
    const sweeper = read.ofRole(ROLES.sweeper);
    for (const action of ['organizations:DescribeAccount', 'sso:DescribePermissionSet'])
      expect(read.resourcesFor(sweeper, action), action).toEqual(read.resourcesFor(worker, action));
    expect(read.resourcesFor(sweeper, 'organizations:DescribeAccount')).toHaveLength(2);
  });

  it('lets the data boundary (the Slack role’s) allow exactly the name reads, and stay under IAM’s size', () => {
    const data = read.ofManagedPolicy('BoundaryPolicy');
    const names = data.find((s) => s.Sid === 'NamesForPeople');
    expect(list(names?.Action).sort()).toEqual([
      'organizations:DescribeAccount',
      'organizations:ListAccountsForParent',
      'organizations:ListChildren',
      'sso:DescribePermissionSet',
    ]);
    expect(JSON.stringify({ Version: '2012-10-17', Statement: data }).length).toBeLessThan(6144);
  });

  it('lets the worker, sweeper and reconciler assume only the agent role (and the worker the role targets)', () => {
    expect(read.resourcesFor(read.ofRole(ROLES.worker), 'sts:AssumeRole')).toEqual(
      [AGENT_ROLE, 'arn:aws:iam::111122223333:role/jit/ProdOperator'].sort(),
    );
    expect(read.resourcesFor(read.ofRole(ROLES.sweeper), 'sts:AssumeRole')).toEqual([AGENT_ROLE]);
    expect(read.resourcesFor(read.ofRole(ROLES.reconciler), 'sts:AssumeRole')).toEqual([AGENT_ROLE]);
  });

  it('never lets the sweeper give access, and the reconciler only read memberships (report-only default)', () => {
    const sweeperActions = read.ofRole(ROLES.sweeper).flatMap((s) => list(s.Action));
    expect(sweeperActions).toContain('sso:DeleteAccountAssignment');
    expect(sweeperActions).toContain('identitystore:DeleteGroupMembership');
    expect(sweeperActions).not.toContain('sso:CreateAccountAssignment');
    expect(sweeperActions).not.toContain('identitystore:CreateGroupMembership');
    const reconcilerActions = read
      .ofRole(ROLES.reconciler)
      .flatMap((s) => list(s.Action))
      .filter(isIdentityCenterAction);
    expect(reconcilerActions.sort()).toEqual(
      [
        'identitystore:GetGroupId',
        'identitystore:GetGroupMembershipId',
        'identitystore:GetUserId',
        'identitystore:ListGroupMemberships',
      ].sort(),
    );
  });

  it('grants no Identity Center action to any other function (the Slack, request API and console API roles read names only), nor any wildcard action', () => {
    for (const role of ['AuditApiRole', 'AuditAnchorRole']) {
      expect(
        read
          .ofRole(role)
          .flatMap((s) => list(s.Action))
          .filter(isIdentityCenterAction),
        role,
      ).toEqual([]);
    }
    for (const role of Object.values(ROLES)) {
      const actions = read.ofRole(role).flatMap((s) => list(s.Action));
      expect(
        actions.filter((a) => isIdentityCenterAction(a) && a.includes('*')),
        role,
      ).toEqual([]);
    }
  });

  it('has the boundary deny creating, deleting and tagging permission sets, and changing unmanaged ones', () => {
    const boundary = read.ofManagedPolicy('BoundaryControlPolicy');
    const lifecycle = boundary.find((s) => s.Sid === 'DenyPermissionSetLifecycle');
    expect(lifecycle).toMatchObject({ Effect: 'Deny', Resource: '*' });
    expect(list(lifecycle!.Action)).toEqual(expect.arrayContaining(['sso:CreatePermissionSet']));
    expect(list(lifecycle!.Action).sort()).toEqual([...PERMISSION_SET_LIFECYCLE_ACTIONS].sort());
    const unmanaged = boundary.find((s) => s.Sid === 'DenyUnmanagedPermissionSets') as Statement;
    expect(unmanaged.Effect).toBe('Deny');
    expect(list(unmanaged.Action)).toEqual(
      expect.arrayContaining(['sso:Put*', 'sso:Delete*', 'sso:Provision*', 'sso:Create*', 'sso:Attach*']),
    );
    // Only the set the policy names is exempt (besides the instance and account resource types).
    expect(list(unmanaged.NotResource).map(render).sort()).toEqual(
      [`arn:${P}:sso:::instance/*`, `arn:${P}:sso:::account/*`, SET].sort(),
    );
    // Every set is named by ARN: no tag opens a way around the deny.
    expect(unmanaged.Condition).toBeUndefined();
    const agents = boundary.find((s) => s.Sid === 'MemberAccountAgents');
    expect(list(agents!.Resource).map(render)).toEqual([AGENT_ROLE]);
  });
});

describe('Identity Center permissions, from a policy naming sets and groups by name and nesting OUs', () => {
  let read: ReturnType<typeof templateStatements>;
  beforeAll(() => {
    read = templateStatements(synthBroker({ context: { policyFile: NAMED } }));
  }, SYNTH_TIMEOUT_MS);

  it('changes a set named by name only when it carries the managed tag (reads stay open for the lookup)', () => {
    const worker = read.ofRole(ROLES.worker);
    const sets = `arn:${P}:sso:::permissionSet/ssoins-1111222233334444/*`;
    const changing = worker.filter(
      (s) =>
        list(s.Action).includes('sso:PutInlinePolicyToPermissionSet') &&
        list(s.Resource).map(render).includes(sets),
    );
    expect(changing).toHaveLength(1);
    expect(changing[0]!.Condition).toEqual({
      StringEquals: { [TAG_CONDITION]: MANAGED_PERMISSION_SET_TAG.value },
    });
    expect(list(changing[0]!.Action)).toContain('sso:CreateAccountAssignment');
    expect(read.resourcesFor(worker, 'sso:DescribePermissionSet')).toContain(sets);
    const unmanaged = read
      .ofManagedPolicy('BoundaryControlPolicy')
      .find((s) => s.Sid === 'DenyUnmanagedPermissionSets');
    expect(unmanaged!.Condition).toEqual({
      StringNotEquals: { [TAG_CONDITION]: MANAGED_PERMISSION_SET_TAG.value },
    });
  });

  it('reaches any account (OUs are read at run time) and walks nested OUs', () => {
    const worker = read.ofRole(ROLES.worker);
    expect(read.resourcesFor(worker, 'sso:CreateAccountAssignment')).toContain(`arn:${P}:sso:::account/*`);
    expect(read.resourcesFor(worker, 'organizations:ListChildren')).toEqual([
      `arn:${P}:organizations::*:ou/o-*/ou-*`,
    ]);
    expect(read.resourcesFor(worker, 'identitystore:CreateGroupMembership')).toContain(
      `arn:${P}:identitystore:::group/*`,
    );
  });
});

describe('identityCenterReach', () => {
  const scope = { partition: 'aws', account: '123456789012' };

  it('is empty for a policy without Identity Center or member-account targets (no permission granted)', () => {
    // The test tree's policy has role and group targets only.
    const reach = identityCenterReach(parsePolicy(TEST_POLICY_YAML, 'test'), scope);
    for (const [key, value] of Object.entries(reach)) {
      expect(value, key).toEqual(Array.isArray(value) ? [] : false);
    }
  });

  it('names the OUs exactly when none nests', () => {
    const policy = loadPolicyFile(NAMED);
    const flat = {
      ...policy,
      targets: policy.targets.map((t) => ({ ...t, includeNestedOus: false })),
    };
    const reach = identityCenterReach(flat, scope);
    expect(reach.nestedOus).toBe(false);
    expect(reach.ouArns).toEqual(['arn:aws:organizations::*:ou/o-*/ou-abcd-11112222']);
  });
});
