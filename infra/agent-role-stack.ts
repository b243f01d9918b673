import { Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { acknowledgeWildcardResources } from './nag.js';
import { DEFAULT_AGENT_ROLE_NAME } from '../shared/targets/group/kind.js';

/** The group-membership actions the broker may take in a member account, and nothing else. */
export const AGENT_ROLE_ACTIONS = [
  'iam:AddUserToGroup',
  'iam:RemoveUserFromGroup',
  'iam:GetGroup',
  'iam:ListGroupsForUser',
] as const;

export interface AgentRoleStackProps extends StackProps {
  /** The broker's grant worker, sweeper and reconciler role ARNs: the only principals trusted. */
  readonly brokerRoleArns: readonly string[];
  /** The role's name (the policy's `agentRoleName`; default `jit-broker-agent`). */
  readonly roleName?: string;
  /** The managed IAM path of the groups (default `/jit/`). */
  readonly managedPath?: string;
}

/**
 * The agent role a member account deploys (one stack per account, or as a StackSet template)
 * so the broker can change membership of its `/jit/` groups there: `kind: group` with
 * `account:`. It trusts only the broker's worker, sweeper and reconciler roles, allows only
 * the membership actions on managed groups (users are named by ARN, so `user/*`), and carries
 * a permissions boundary holding it to the same, so no later policy widens it. One read:
 * `cloudtrail:LookupEvents`, so the broker can summarise what was done with a permission-set
 * grant in this account (the lookup reads only the caller's account).
 */
export class AgentRoleStack extends Stack {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: AgentRoleStackProps) {
    super(scope, id, props);
    if (props.brokerRoleArns.length === 0) throw new Error('brokerRoleArns: name the broker roles to trust');
    const path = props.managedPath ?? '/jit/';
    const groups = Stack.of(this).formatArn({
      service: 'iam',
      region: '',
      resource: 'group',
      resourceName: `${path.slice(1)}*`,
    });
    const users = Stack.of(this).formatArn({
      service: 'iam',
      region: '',
      resource: 'user',
      resourceName: '*',
    });
    const statements = [
      new iam.PolicyStatement({
        sid: 'ManagedGroupMembership',
        actions: [...AGENT_ROLE_ACTIONS.slice(0, 3)],
        resources: [groups],
      }),
      // ListGroupsForUser is authorized on the user, never on a group.
      new iam.PolicyStatement({
        sid: 'ReadUserGroups',
        actions: ['iam:ListGroupsForUser'],
        resources: [users],
      }),
      // What was done with a permission-set grant here: LookupEvents reads only the caller's account.
      new iam.PolicyStatement({
        sid: 'ReadGrantActivity',
        actions: ['cloudtrail:LookupEvents'],
        resources: ['*'],
      }),
    ];
    const boundary = new iam.ManagedPolicy(this, 'Boundary', {
      description:
        'Permissions boundary of the JIT broker agent role: group membership on managed groups only',
      statements,
    });
    this.role = new iam.Role(this, 'AgentRole', {
      roleName: props.roleName ?? DEFAULT_AGENT_ROLE_NAME,
      description: 'Lets the JIT access broker change membership of its managed IAM groups in this account',
      // Why: only the broker's own functions may act here, never the whole broker account.
      assumedBy: new iam.CompositePrincipal(...props.brokerRoleArns.map((arn) => new iam.ArnPrincipal(arn))),
      permissionsBoundary: boundary,
      inlinePolicies: { GroupMembership: new iam.PolicyDocument({ statements }) },
    });
    acknowledgeWildcardResources(
      this,
      [groups, users],
      'Membership changes only on groups under the managed path; users are any (the person granted), and the boundary holds the role to these actions.',
    );
    acknowledgeWildcardResources(
      this,
      ['*'],
      'cloudtrail:LookupEvents has no resource-level permissions (read-only event history of this account, for the activity summaries of grants here).',
    );
  }
}
