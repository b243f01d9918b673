import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { BROKER_IAM_PATH } from '../managed-targets.js';
import { acknowledge, acknowledgeWildcardResources } from '../nag.js';
import { ANCHOR_DESTRUCTIVE_ACTIONS, ANCHOR_KEY_DESTRUCTIVE_ACTIONS } from './audit-anchors.js';

/** Every IAM action that changes an identity or a policy: denied on the broker's own roles. */
export const IAM_WRITE_ACTION_PATTERNS = [
  'iam:Attach*',
  'iam:Create*',
  'iam:Delete*',
  'iam:Detach*',
  'iam:PassRole',
  'iam:Put*',
  'iam:Set*',
  'iam:Tag*',
  'iam:Untag*',
  'iam:Update*',
];

/** Everything that could delete or age out audit records, or switch off their protection. */
export const AUDIT_DESTRUCTIVE_ACTIONS = [
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:DeleteTable',
  'dynamodb:PartiQLDelete',
  'dynamodb:UpdateTable',
  'dynamodb:UpdateTimeToLive',
  'dynamodb:UpdateContinuousBackups',
];

/** The item writes an audit append is made of; allowed to the broker only inside a transaction. */
export const AUDIT_APPEND_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem'];

export interface BrokerBoundaryProps {
  /** Table and index ARNs the broker may use (by verb; deletes never on audit). */
  readonly tableArns: readonly string[];
  /** The audit table and its indexes: destructive actions are denied there outright. */
  readonly auditArns: readonly string[];
  readonly queueArns: readonly string[];
  readonly secretArns: readonly string[];
  /** Managed groups (path-scoped) and managed roles (path-scoped, per account). */
  readonly groupPathPattern: string;
  readonly rolePathPatterns: readonly string[];
  /**
   * Every role that may carry the brokered-role boundary: the managed path in the stack's
   * account and in each account a role target names. The broker may not lift or swap it.
   */
  readonly brokeredRolePathPatterns: readonly string[];
  /**
   * The audit anchors: the Object Lock bucket's ARN, and the ARN pattern of this account's
   * KMS keys (not the key's own ARN: its key policy names the anchor role, which carries this
   * boundary, and the three would depend on each other). The key policy lets only that role sign.
   */
  readonly anchors?: { readonly bucketArn: string; readonly keyArnPattern: string };
}

/**
 * The permissions boundary on every broker role: the most any broker function could ever
 * do, whatever its own policy says. It allows only the services the broker uses on its own
 * resources, IAM only on the managed path, and denies changing the broker's own roles or
 * this boundary, lifting or swapping the boundary of a brokered role, deleting audit records,
 * and writing audit items other than through an append's transaction.
 */
export class BrokerBoundary extends Construct {
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: BrokerBoundaryProps) {
    super(scope, id);
    const statements = [
      new iam.PolicyStatement({
        sid: 'DynamoDbByVerb',
        actions: [
          'dynamodb:ConditionCheckItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
        ],
        resources: [...props.tableArns],
      }),
      new iam.PolicyStatement({
        sid: 'GrantQueue',
        actions: [
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:ReceiveMessage',
          'sqs:SendMessage',
        ],
        resources: [...props.queueArns],
      }),
      new iam.PolicyStatement({
        sid: 'SlackSecret',
        actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        resources: [...props.secretArns],
      }),
      // Read-only; LookupEvents has no resource-level permissions (only the sweeper's policy grants it).
      new iam.PolicyStatement({
        sid: 'CloudTrailActivity',
        actions: ['cloudtrail:LookupEvents'],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'ManagedGroupsOnly',
        actions: ['iam:AddUserToGroup', 'iam:GetGroup', 'iam:RemoveUserFromGroup'],
        resources: [props.groupPathPattern],
      }),
      ...(props.rolePathPatterns.length > 0
        ? [
            new iam.PolicyStatement({
              sid: 'ManagedRolesOnly',
              actions: [
                'iam:DeleteRolePolicy',
                'iam:GetRolePolicy',
                'iam:PutRolePolicy',
                'sts:AssumeRole',
                'sts:SetSourceIdentity',
                'sts:TagSession',
              ],
              resources: [...props.rolePathPatterns],
            }),
          ]
        : []),
      new iam.PolicyStatement({
        sid: 'DenyChangingTheBroker',
        effect: iam.Effect.DENY,
        actions: IAM_WRITE_ACTION_PATTERNS,
        resources: [
          `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role${BROKER_IAM_PATH}*`,
          `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:policy${BROKER_IAM_PATH}*`,
        ],
      }),
      new iam.PolicyStatement({
        sid: 'DenyRemovingBoundaries',
        effect: iam.Effect.DENY,
        actions: ['iam:DeleteRolePermissionsBoundary', 'iam:DeleteUserPermissionsBoundary'],
        resources: ['*'],
      }),
      // Why: with PutRolePolicy on a brokered role, only its boundary keeps what the broker
      // writes there from exceeding the broker's own limits.
      new iam.PolicyStatement({
        sid: 'DenyLiftingBrokeredBoundary',
        effect: iam.Effect.DENY,
        actions: ['iam:DeleteRolePermissionsBoundary', 'iam:PutRolePermissionsBoundary'],
        resources: [...props.brokeredRolePathPatterns],
      }),
      new iam.PolicyStatement({
        sid: 'DenyAuditDeletes',
        effect: iam.Effect.DENY,
        actions: AUDIT_DESTRUCTIVE_ACTIONS,
        resources: [...props.auditArns],
      }),
      // Why: every audit write is an append (event, chain head and the chain's manifest entry
      // in one conditional transaction); a lone Put or Update could rewrite an event, a head
      // or a manifest entry without the others.
      new iam.PolicyStatement({
        sid: 'DenyAuditWritesOutsideTransactions',
        effect: iam.Effect.DENY,
        actions: AUDIT_APPEND_ACTIONS,
        resources: [...props.auditArns],
        conditions: { StringNotEquals: { 'dynamodb:EnclosingOperation': 'TransactWriteItems' } },
      }),
      ...(props.anchors ? anchorStatements(props.anchors) : []),
    ];
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      path: BROKER_IAM_PATH,
      description: 'Permissions boundary of the JIT access broker roles',
      statements,
    });
    acknowledgeWildcardResources(
      this,
      [props.groupPathPattern, ...props.rolePathPatterns],
      "The boundary caps the broker at the managed IAM path; the functions' own policies name exact group and role ARNs.",
    );
    acknowledge(
      this,
      'AwsSolutions-IAM5[Resource::*]',
      'cloudtrail:LookupEvents supports no resource-level permissions: * is its only resource. Read-only; only the sweeper is granted it.',
    );
    if (props.anchors) {
      acknowledgeWildcardResources(
        this,
        [`${props.anchors.bucketArn}/*`, props.anchors.keyArnPattern],
        "The boundary caps the broker at the anchor bucket and at signing (the key's own policy lets only the anchor function sign); the anchor function is granted exactly its anchors/ prefix and its key.",
      );
    }
  }

  /**
   * Lets the broker write to its functions' log groups (added once the functions exist,
   * since each function's role needs this boundary first). Metrics travel as EMF log lines.
   */
  allowLogGroups(logGroupArns: readonly string[]): void {
    this.policy.addStatements(
      new iam.PolicyStatement({
        sid: 'OwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [...logGroupArns],
      }),
    );
  }
}

/**
 * The anchors in the boundary: writing and reading anchors and signing with the key are
 * allowed (the functions' own policies decide who does), deleting or unlocking anchors and
 * disabling or re-policying the key are denied to every broker role whatever its policy says.
 */
function anchorStatements(anchors: { bucketArn: string; keyArnPattern: string }): iam.PolicyStatement[] {
  const bucket = [anchors.bucketArn, `${anchors.bucketArn}/*`];
  return [
    new iam.PolicyStatement({
      sid: 'AuditAnchors',
      actions: ['s3:GetObject', 's3:ListBucket', 's3:PutObject'],
      resources: bucket,
    }),
    new iam.PolicyStatement({
      sid: 'AuditAnchorKey',
      actions: ['kms:GetPublicKey', 'kms:Sign'],
      resources: [anchors.keyArnPattern],
    }),
    // Why: Object Lock COMPLIANCE already forbids shortening retention; this also stops delete
    // markers that would hide anchors, and any change to the lock or the bucket policy.
    new iam.PolicyStatement({
      sid: 'DenyAnchorTampering',
      effect: iam.Effect.DENY,
      actions: ANCHOR_DESTRUCTIVE_ACTIONS,
      resources: bucket,
    }),
    new iam.PolicyStatement({
      sid: 'DenyAnchorKeyTampering',
      effect: iam.Effect.DENY,
      actions: ANCHOR_KEY_DESTRUCTIVE_ACTIONS,
      resources: [anchors.keyArnPattern],
    }),
  ];
}
