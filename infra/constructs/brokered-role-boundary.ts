import { createHash } from 'node:crypto';
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { BROKER_IAM_PATH } from '../managed-targets.js';
import { acknowledge } from '../nag.js';
import { AUDIT_DESTRUCTIVE_ACTIONS, IAM_WRITE_ACTION_PATTERNS } from './broker-boundary.js';

/**
 * Every DynamoDB data-plane write (on top of the table-level deletes and settings in
 * AUDIT_DESTRUCTIVE_ACTIONS): a transaction is authorised as its items' Put/Update/Delete.
 */
export const TABLE_DATA_WRITE_ACTIONS = [
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:ImportTable',
  'dynamodb:PartiQLDelete',
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PutItem',
  'dynamodb:RestoreTable*',
  'dynamodb:UpdateItem',
];

/** A table's resource policy could grant any principal what the boundaries deny. */
export const TABLE_RESOURCE_POLICY_ACTIONS = ['dynamodb:DeleteResourcePolicy', 'dynamodb:PutResourcePolicy'];

/**
 * IAM writes denied on the broker's and the brokered identities: the write patterns, plus
 * adding a member to a managed group (standing access outside the broker).
 */
export const BROKERED_IAM_WRITE_ACTIONS = [...IAM_WRITE_ACTION_PATTERNS, 'iam:AddUserToGroup'];

/** Creating or re-bounding a principal: allowed only with a `/jit-broker/` boundary attached. */
export const PRINCIPAL_BOUNDARY_ACTIONS = [
  'iam:CreateRole',
  'iam:CreateUser',
  'iam:PutRolePermissionsBoundary',
  'iam:PutUserPermissionsBoundary',
];

/** Removing a permissions boundary from a role or user. */
export const BOUNDARY_REMOVAL_ACTIONS = [
  'iam:DeleteRolePermissionsBoundary',
  'iam:DeleteUserPermissionsBoundary',
];

/** Changing, removing or throttling a broker function (or its aliases and versions). */
export const FUNCTION_CHANGE_ACTIONS = [
  'lambda:AddPermission',
  'lambda:CreateAlias',
  'lambda:CreateFunctionUrlConfig',
  'lambda:Delete*',
  'lambda:Publish*',
  'lambda:Put*',
  'lambda:RemovePermission',
  'lambda:TagResource',
  'lambda:UntagResource',
  'lambda:Update*',
];

/** Invoking a function directly, with an event of the caller's making. */
export const FUNCTION_INVOKE_ACTIONS = ['lambda:InvokeAsync', 'lambda:InvokeFunction'];

/** Repointing, pausing or removing a broker trigger. */
export const EVENT_SOURCE_MAPPING_CHANGE_ACTIONS = [
  'lambda:DeleteEventSourceMapping',
  'lambda:UpdateEventSourceMapping',
];

/** Forging, stealing or dropping grant and revoke jobs, or changing the queues. */
export const QUEUE_CHANGE_ACTIONS = [
  'sqs:*MessageMoveTask',
  'sqs:AddPermission',
  'sqs:ChangeMessageVisibility',
  'sqs:Delete*',
  'sqs:PurgeQueue',
  'sqs:ReceiveMessage',
  'sqs:RemovePermission',
  'sqs:SendMessage',
  'sqs:SetQueueAttributes',
  'sqs:TagQueue',
  'sqs:UntagQueue',
];

/** Reading the Slack credentials (to act as the bot) or replacing them (to forge approvals). */
export const SECRET_ACTIONS = [
  'secretsmanager:*Replica*',
  'secretsmanager:*RotateSecret',
  'secretsmanager:Delete*',
  'secretsmanager:GetSecretValue',
  'secretsmanager:Put*',
  'secretsmanager:TagResource',
  'secretsmanager:UntagResource',
  'secretsmanager:Update*',
];

/** Stopping the sweeper or reconciler schedule (grants would outlive their window). */
export const SCHEDULE_CHANGE_ACTIONS = [
  'events:DeleteRule',
  'events:DisableRule',
  'events:PutRule',
  'events:PutTargets',
  'events:RemoveTargets',
  'events:TagResource',
  'events:UntagResource',
];

/** Silencing the broker's alarms or their topic. */
export const ALARM_CHANGE_ACTIONS = [
  'cloudwatch:DeleteAlarms',
  'cloudwatch:DisableAlarmActions',
  'cloudwatch:PutMetricAlarm',
  'cloudwatch:SetAlarmState',
  'sns:AddPermission',
  'sns:DeleteTopic',
  'sns:RemovePermission',
  'sns:SetTopicAttributes',
];

/** Lambda's limit on a function name. */
const FUNCTION_NAME_MAX = 64;
/** The longest broker function name after the prefix (`access-review`, `audit-archive`). */
const LONGEST_FUNCTION_SUFFIX = 'access-review'.length;

/**
 * The prefix every broker function's name starts with: the stack name and a dash, so one ARN
 * pattern covers every function of the stack (names CloudFormation generates are truncated and
 * carry no such guarantee). A stack name too long to leave room for the longest function name
 * is cut and ends in a hash of the full name, so two long stack names do not share a prefix.
 */
export function brokerFunctionNamePrefix(stackName: string): string {
  const room = FUNCTION_NAME_MAX - LONGEST_FUNCTION_SUFFIX - 1;
  if (stackName.length <= room) return `${stackName}-`;
  const hash = createHash('sha256').update(stackName).digest('hex').slice(0, 8);
  return `${stackName.slice(0, room - hash.length - 1)}-${hash}-`;
}

export interface BrokeredRoleBoundaryProps {
  /** The managed IAM path of the brokered groups and roles, e.g. `/jit/`. */
  readonly managedPath: string;
  /** The audit table: no brokered session writes to it. */
  readonly auditTableArn: string;
  /** The requests table: no brokered session writes to it. */
  readonly requestsTableArn: string;
  /** The audit digests (what auditors' by-target queries read): no brokered session writes to it. */
  readonly auditDigestsTableArn?: string;
  /** The console's credentials mailbox: no brokered session touches it at all. */
  readonly credentialsMailboxArns?: readonly string[];
  /**
   * Every broker function, with its versions and aliases, in one ARN pattern (their names share
   * {@link brokerFunctionNamePrefix}): neither changed nor invoked, except through a function URL.
   */
  readonly functionArnPattern: string;
  /** The broker's triggers (the grant queue's, the audit stream's): neither updated nor deleted. */
  readonly eventSourceMappingArns: readonly string[];
  /** The grant queue and its dead-letter queue. */
  readonly queueArns: readonly string[];
  readonly secretArns: readonly string[];
  /** The sweeper and reconciler schedules. */
  readonly ruleArns: readonly string[];
  readonly alarmArns: readonly string[];
  readonly topicArns: readonly string[];
}

/**
 * The permissions boundary on every brokered role (ProdOperator, Auditor, BreakGlassAdmin).
 * A boundary only caps: it allows everything and the role's own policies grant. It denies what
 * would let a brokered session (or the broker, through an inline policy it writes on a
 * brokered role) escape the broker's own limits: changing the broker's or any brokered
 * role, group or policy (including lifting this boundary), creating a principal without a
 * broker boundary, writing to the broker's tables (requests, audit, digests) or their resource
 * policies, and changing,
 * invoking or silencing the broker's functions, queues, secret, schedules and alarms.
 */
export class BrokeredRoleBoundary extends Construct {
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: BrokeredRoleBoundaryProps) {
    super(scope, id);
    const iamArn = (resource: string) => `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:${resource}`;
    const deny = (sid: string, actions: readonly string[], resources: readonly string[]) =>
      resources.length > 0
        ? [
            new iam.PolicyStatement({
              sid,
              effect: iam.Effect.DENY,
              actions: [...actions],
              resources: [...resources],
            }),
          ]
        : [];
    const statements = [
      // Why: a boundary only caps; what a brokered role may do is its own policies' business.
      new iam.PolicyStatement({ sid: 'CapOnly', actions: ['*'], resources: ['*'] }),
      // Why: no brokered session may change the broker, nor widen its own or another brokered
      // role or group (policies, boundary, trust, members).
      ...deny('DenyBrokerIam', BROKERED_IAM_WRITE_ACTIONS, [
        iamArn(`role${BROKER_IAM_PATH}*`),
        iamArn(`policy${BROKER_IAM_PATH}*`),
        iamArn(`role${props.managedPath}*`),
        iamArn(`policy${props.managedPath}*`),
        iamArn(`group${props.managedPath}*`),
      ]),
      // Why: only the broker writes requests and the audit trail, each change with its audit
      // event; a brokered session (break-glass admin included) writing an item itself could
      // move its own grant's end or mark itself reviewed with no trace, or edit a digest to
      // hide its events from a target's answers until the next verify. Indexes and streams
      // included, in one entry per table (the policy must stay under 6,144 characters; the
      // table names end in a random suffix).
      ...deny(
        'DenyBrokerTableWrites',
        [...AUDIT_DESTRUCTIVE_ACTIONS, ...TABLE_DATA_WRITE_ACTIONS, ...TABLE_RESOURCE_POLICY_ACTIONS],
        [props.auditTableArn, props.requestsTableArn, props.auditDigestsTableArn]
          .filter((arn): arn is string => arn !== undefined)
          .map((arn) => `${arn}*`),
      ),
      // Why: the mailbox holds minted credentials until their owner collects them; no brokered
      // session (break-glass admin included) may read, take or plant any.
      ...deny('DenyMailbox', ['dynamodb:*'], props.credentialsMailboxArns ?? []),
      // Why: a changed broker function runs the attacker's code with the broker's role. All of
      // them in one pattern (the policy must stay under 6,144 characters).
      ...deny('DenyChangingBrokerFunctions', FUNCTION_CHANGE_ACTIONS, [props.functionArnPattern]),
      // Why: a forged event (an SQS grant job, an audit stream record) would make a broker
      // function grant access or archive events that never happened. A function URL request
      // reaches the handler's own check (Slack signature, IAM caller), so URL calls stay allowed.
      new iam.PolicyStatement({
        sid: 'DenyInvokingBrokerFunctions',
        effect: iam.Effect.DENY,
        actions: [...FUNCTION_INVOKE_ACTIONS],
        resources: [props.functionArnPattern],
        conditions: { BoolIfExists: { 'lambda:InvokedViaFunctionUrl': 'false' } },
      }),
      ...deny(
        'DenyChangingBrokerTriggers',
        EVENT_SOURCE_MAPPING_CHANGE_ACTIONS,
        props.eventSourceMappingArns,
      ),
      // Why: a new trigger on a broker function, from a queue or stream the session owns whose
      // resource policy lets the function's role read it, would feed the function forged jobs.
      // CreateEventSourceMapping has no resource; its function is the lambda:FunctionArn key.
      new iam.PolicyStatement({
        sid: 'DenyNewBrokerTriggers',
        effect: iam.Effect.DENY,
        actions: ['lambda:CreateEventSourceMapping'],
        resources: ['*'],
        conditions: { ArnLike: { 'lambda:FunctionArn': props.functionArnPattern } },
      }),
      ...deny('DenyTouchingBrokerQueues', QUEUE_CHANGE_ACTIONS, props.queueArns),
      ...deny('DenyTouchingBrokerSecret', SECRET_ACTIONS, props.secretArns),
      ...deny('DenyChangingBrokerSchedules', SCHEDULE_CHANGE_ACTIONS, props.ruleArns),
      ...deny('DenySilencingBrokerAlarms', ALARM_CHANGE_ACTIONS, [...props.alarmArns, ...props.topicArns]),
      // Why: a role or user created (or re-bounded) by a brokered session without a broker
      // boundary would carry none of the denies above. Removing a boundary carries no
      // iam:PermissionsBoundary key, and a negated condition on a missing key holds: removing
      // any boundary is denied outright (one statement: the policy must stay under 6,144 characters).
      new iam.PolicyStatement({
        sid: 'DenyUnboundedPrincipals',
        effect: iam.Effect.DENY,
        actions: [...PRINCIPAL_BOUNDARY_ACTIONS, ...BOUNDARY_REMOVAL_ACTIONS],
        resources: ['*'],
        conditions: { StringNotLike: { 'iam:PermissionsBoundary': iamArn(`policy${BROKER_IAM_PATH}*`) } },
      }),
    ];

    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      path: BROKER_IAM_PATH,
      description: 'Permissions boundary of the roles the JIT broker hands out',
      statements,
    });
    const reason =
      'A permissions boundary only caps: it allows everything except its explicit denies; the brokered roles get their permissions from their own policies.';
    acknowledge(this.policy, 'AwsSolutions-IAM5[Action::*]', reason);
    acknowledge(this.policy, 'AwsSolutions-IAM5[Resource::*]', reason);
  }
}
