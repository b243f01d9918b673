import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { MANAGED_PERMISSION_SET_TAG, type IdentityCenterReach } from '../identity-center-targets.js';
import { acknowledgeWildcardResources } from '../nag.js';

/** Starting and ending an account assignment, and the session seal's re-provisioning. */
const ASSIGN = ['sso:CreateAccountAssignment', 'sso:DeleteAccountAssignment', 'sso:ProvisionPermissionSet'];
/** The session seal: the permission set's inline policy (read, rewrite, drop when empty). */
const SEAL = [
  'sso:DeleteInlinePolicyFromPermissionSet',
  'sso:GetInlinePolicyForPermissionSet',
  'sso:PutInlinePolicyToPermissionSet',
];
/** Reads on the instance: statuses of the asynchronous steps, and the sets (to resolve names). */
const INSTANCE_READS = [
  'sso:DescribeAccountAssignmentCreationStatus',
  'sso:DescribeAccountAssignmentDeletionStatus',
  'sso:DescribePermissionSetProvisioningStatus',
  'sso:ListPermissionSets',
];
const GROUP_MEMBERSHIP = [
  'identitystore:CreateGroupMembership',
  'identitystore:DeleteGroupMembership',
  'identitystore:GetGroupId',
  'identitystore:GetGroupMembershipId',
  'identitystore:ListGroupMemberships',
];

/** An Identity Center ARN of this partition (`instance/…`, `permissionSet/…`, `account/…`). */
const sso = (resource: string) => `arn:${Aws.PARTITION}:sso:::${resource}`;

/** Every permission set of each instance (`permissionSet/ssoins-…/*`). */
const setsOf = (instanceArns: readonly string[]) =>
  instanceArns.map((arn) => sso(`permissionSet/${arn.slice(arn.lastIndexOf('/') + 1)}/*`));

/** The Organization's OUs and accounts: the reach of the broker's Organizations reads. */
const ORGANIZATION_CAPS = [
  `arn:${Aws.PARTITION}:organizations::*:ou/o-*/ou-*`,
  `arn:${Aws.PARTITION}:organizations::*:account/o-*/*`,
];

/** Actions that add access: the grant worker's only (the sweeper and reconciler take access away). */
const GIVES_ACCESS = new Set(['sso:CreateAccountAssignment', 'identitystore:CreateGroupMembership']);

/**
 * Changes to a permission set, denied by the broker's boundary on every set it does not manage
 * (assignments and provisioning included: they apply a set's permissions to accounts).
 */
export const PERMISSION_SET_CHANGE_PATTERNS = [
  'sso:Attach*',
  'sso:Create*',
  'sso:Delete*',
  'sso:Detach*',
  'sso:Provision*',
  'sso:Put*',
  'sso:Update*',
];

/** Denied to every broker role outright: new sets, deleted sets, and tags (a tag makes a set managed). */
export const PERMISSION_SET_LIFECYCLE_ACTIONS = [
  'sso:CreatePermissionSet',
  'sso:DeletePermissionSet',
  'sso:TagResource',
  'sso:UntagResource',
];

export interface IdentityCenterAccessProps {
  readonly reach: IdentityCenterReach;
  readonly grantWorker: iam.Role;
  readonly sweeper: iam.Role;
  readonly reconciler: iam.Role;
  /** Whether the reconciler removes members it did not grant (then it may delete memberships). */
  readonly reconcileRemove: boolean;
  /** The broker's permissions boundary: capped at the same reach, with the permission-set denies. */
  readonly boundary: iam.ManagedPolicy;
  /**
   * The Slack function's role and its (data-plane) boundary: it reads account and permission-set
   * names for people (the accounts picker, the messages), nothing else of Identity Center.
   */
  readonly slack?: {
    readonly role: iam.Role;
    readonly boundary: iam.ManagedPolicy;
    /**
     * Other front doors under the same data boundary that read the same names (the request
     * API: `--account` is checked against the accounts a target reaches, answers name them;
     * the console API: its accounts picker and the accounts its pages name).
     */
    readonly alsoReading?: readonly iam.Role[];
  };
}

/** What the Slack function reads to name accounts and permission sets (the account directory's calls). */
const NAME_READS = [
  'organizations:DescribeAccount',
  'organizations:ListAccountsForParent',
  'organizations:ListChildren',
  'sso:DescribePermissionSet',
];

/**
 * The Identity Center, Organizations and member-account permissions of the broker, derived
 * from the policy's targets at synth time: nothing when the policy has no such target. The
 * grant worker gets every step; the sweeper every step but those that give access; the
 * reconciler reads memberships (and removes them only with reconcileRemove) and assumes the
 * agent roles. The boundary caps the three at the same instances, stores and agent roles and
 * denies creating, deleting or tagging permission sets and changing any set the broker does
 * not manage (not named by ARN in the policy, nor tagged {@link MANAGED_PERMISSION_SET_TAG}).
 */
export class IdentityCenterAccess extends Construct {
  constructor(scope: Construct, id: string, props: IdentityCenterAccessProps) {
    super(scope, id);
    const { reach } = props;
    if (props.slack && reach.instanceArns.length > 0) this.letSlackReadNames(props.slack, reach);
    const idStore = (resource: string) => `arn:${Aws.PARTITION}:identitystore:::${resource}`;
    const allUsers = idStore('user/*');
    const allMemberships = idStore('membership/*');

    const statements: iam.PolicyStatement[] = [];
    const statement = (actions: string[], resources: readonly string[], conditions?: iam.Conditions) => {
      if (actions.length > 0 && resources.length > 0)
        statements.push(
          new iam.PolicyStatement({
            actions,
            resources: [...resources],
            ...(conditions ? { conditions } : {}),
          }),
        );
    };
    if (reach.instanceArns.length > 0) {
      // Exact: the instance, the sets named by ARN and the accounts (every statement names all three
      // resource types AWS authorizes an assignment on).
      statement(
        [...ASSIGN, ...SEAL, 'sso:DescribePermissionSet'],
        [...reach.instanceArns, ...reach.permissionSetArns, ...reach.ssoAccountArns],
      );
      // Why: a set named by name has no ARN at synth; only a set its owner tagged as managed is changed.
      statement([...ASSIGN, ...SEAL], reach.namedPermissionSetPatterns, {
        StringEquals: {
          [`aws:ResourceTag/${MANAGED_PERMISSION_SET_TAG.key}`]: MANAGED_PERMISSION_SET_TAG.value,
        },
      });
      statement(['sso:DescribePermissionSet'], reach.namedPermissionSetPatterns);
      statement(INSTANCE_READS, reach.instanceArns);
      statement(['organizations:ListAccountsForParent'], reach.ouArns);
      if (reach.nestedOus) statement(['organizations:ListChildren'], reach.ouArns);
      statement(['organizations:DescribeAccount'], reach.orgAccountArns);
    }
    statement(
      ['identitystore:GetUserId'],
      [...reach.identityStoreArns, ...(reach.identityStoreArns.length > 0 ? [allUsers] : [])],
    );
    if (reach.groupStoreArns.length > 0) {
      statement(GROUP_MEMBERSHIP, [...reach.groupStoreArns, ...reach.groupArns, allUsers, allMemberships]);
    }
    // Member-account groups: only the named agent roles, never any other role of those accounts.
    statement(['sts:AssumeRole'], reach.agentRoleArns);
    if (statements.length === 0) return;

    const reconcilerActions = new Set([
      'identitystore:GetUserId',
      'identitystore:GetGroupId',
      'identitystore:GetGroupMembershipId',
      'identitystore:ListGroupMemberships',
      'sts:AssumeRole',
      ...(props.reconcileRemove ? ['identitystore:DeleteGroupMembership'] : []),
    ]);
    const grants: (readonly [iam.Role, (action: string) => boolean])[] = [
      [props.grantWorker, () => true],
      [props.sweeper, (action) => !GIVES_ACCESS.has(action)],
      [props.reconciler, (action) => reconcilerActions.has(action)],
    ];
    const wildcards = new Set<string>();
    for (const [role, keeps] of grants) {
      for (const s of statements) {
        const json = s.toStatementJson() as { Action: string | string[]; Condition?: iam.Conditions };
        const actions = (Array.isArray(json.Action) ? json.Action : [json.Action]).filter(keeps);
        if (actions.length === 0) continue;
        role.addToPolicy(
          new iam.PolicyStatement({
            actions,
            resources: s.resources,
            ...(json.Condition ? { conditions: json.Condition } : {}),
          }),
        );
        for (const r of s.resources) if (r.includes('*')) wildcards.add(r);
      }
      acknowledgeWildcardResources(
        role,
        [...wildcards],
        'Identity Center and Organizations ids unknown at synth: every user and membership of the named identity stores (users are whoever requests), groups named by display name, sets named by name (changed only when tagged jit-broker:managed=true), and accounts under OUs (resolved at run time; the OU reads name the OUs unless nested). The instance and stores are exact.',
      );
    }
    this.capBoundary(props);
  }

  /**
   * The Slack role's (and `alsoReading` roles') name reads, scoped like the worker's (the OUs, the accounts, the sets named
   * by ARN; a set named by name needs no read), and the same reads allowed by its data boundary.
   */
  private letSlackReadNames(
    slack: NonNullable<IdentityCenterAccessProps['slack']>,
    reach: IdentityCenterReach,
  ): void {
    const reads: [string, readonly string[]][] = [
      ['organizations:DescribeAccount', reach.orgAccountArns],
      ['organizations:ListAccountsForParent', reach.ouArns],
      ['organizations:ListChildren', reach.nestedOus ? reach.ouArns : []],
      [
        'sso:DescribePermissionSet',
        reach.permissionSetArns.length > 0 ? [...reach.instanceArns, ...reach.permissionSetArns] : [],
      ],
    ];
    for (const role of [slack.role, ...(slack.alsoReading ?? [])]) {
      const wildcards = new Set<string>();
      for (const [action, resources] of reads) {
        if (resources.length === 0) continue;
        role.addToPolicy(new iam.PolicyStatement({ actions: [action], resources: [...resources] }));
        resources.filter((r) => r.includes('*')).forEach((r) => wildcards.add(r));
      }
      if (wildcards.size > 0)
        acknowledgeWildcardResources(
          role,
          [...wildcards],
          'Accounts under OUs are resolved at run time: the front door reads their names (DescribeAccount) to offer and name them; the OUs and sets are exact.',
        );
    }
    // Why: the data boundary allows reads only; every Identity Center and Organizations write stays outside it.
    const caps = [...reach.instanceArns, ...setsOf(reach.instanceArns), ...ORGANIZATION_CAPS];
    slack.boundary.addStatements(
      new iam.PolicyStatement({ sid: 'NamesForPeople', actions: NAME_READS, resources: caps }),
    );
    acknowledgeWildcardResources(
      slack.boundary,
      caps.filter((r) => r.includes('*')),
      "The data boundary caps the Slack function's name reads at the policy's instances and at Organizations reads; its own policy names the exact OUs, accounts and sets.",
    );
  }

  /** The boundary's share: the same reach as a cap, and the permission-set denies. */
  private capBoundary({ reach, boundary }: IdentityCenterAccessProps): void {
    const statements: iam.PolicyStatement[] = [];
    const caps: string[] = [];
    if (reach.instanceArns.length > 0) {
      const resources = [...reach.instanceArns, ...setsOf(reach.instanceArns), sso('account/*')];
      caps.push(...resources);
      statements.push(
        new iam.PolicyStatement({
          sid: 'IdentityCenterInstances',
          actions: [...ASSIGN, ...SEAL, ...INSTANCE_READS, 'sso:DescribePermissionSet'],
          resources,
        }),
        new iam.PolicyStatement({
          sid: 'DenyPermissionSetLifecycle',
          effect: iam.Effect.DENY,
          actions: PERMISSION_SET_LIFECYCLE_ACTIONS,
          resources: ['*'],
        }),
        // Why: the broker's own policies scope its changes; this holds them to managed sets whatever a policy says.
        new iam.PolicyStatement({
          sid: 'DenyUnmanagedPermissionSets',
          effect: iam.Effect.DENY,
          actions: PERMISSION_SET_CHANGE_PATTERNS,
          notResources: [sso('instance/*'), sso('account/*'), ...reach.permissionSetArns],
          ...(reach.namedPermissionSetPatterns.length > 0
            ? {
                conditions: {
                  StringNotEquals: {
                    [`aws:ResourceTag/${MANAGED_PERMISSION_SET_TAG.key}`]: MANAGED_PERMISSION_SET_TAG.value,
                  },
                },
              }
            : {}),
        }),
        new iam.PolicyStatement({
          sid: 'OrganizationsReads',
          actions: [
            'organizations:DescribeAccount',
            'organizations:ListAccountsForParent',
            'organizations:ListChildren',
          ],
          resources: [...ORGANIZATION_CAPS],
        }),
      );
      caps.push(...statements.at(-1)!.resources);
    }
    if (reach.identityStoreArns.length > 0) {
      const resources = [
        ...reach.identityStoreArns,
        `arn:${Aws.PARTITION}:identitystore:::user/*`,
        `arn:${Aws.PARTITION}:identitystore:::group/*`,
        `arn:${Aws.PARTITION}:identitystore:::membership/*`,
      ];
      caps.push(...resources);
      statements.push(
        new iam.PolicyStatement({
          sid: 'IdentityStores',
          actions: ['identitystore:GetUserId', ...GROUP_MEMBERSHIP],
          resources,
        }),
      );
    }
    if (reach.agentRoleArns.length > 0) {
      statements.push(
        new iam.PolicyStatement({
          sid: 'MemberAccountAgents',
          actions: ['sts:AssumeRole'],
          resources: [...reach.agentRoleArns],
        }),
      );
    }
    boundary.addStatements(...statements);
    acknowledgeWildcardResources(
      boundary,
      caps,
      "The boundary caps the broker at the policy's Identity Center instances and identity stores and at Organizations reads; the functions' own policies name the exact sets, accounts and OUs, and the boundary denies changing any permission set the broker does not manage.",
    );
  }
}
