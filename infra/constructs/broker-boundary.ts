import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { BROKER_IAM_PATH } from '../managed-targets.js';
import { acknowledge, acknowledgeWildcardResources } from '../nag.js';
import { ANCHOR_KEY_DESTRUCTIVE_ACTIONS, EVIDENCE_DESTRUCTIVE_ACTIONS } from './audit-anchors.js';

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

/** Lifting, removing or swapping a permissions boundary: the broker never does any of it. */
export const BOUNDARY_CHANGE_ACTIONS = [
  'iam:DeleteRolePermissionsBoundary',
  'iam:DeleteUserPermissionsBoundary',
  'iam:PutRolePermissionsBoundary',
  'iam:PutUserPermissionsBoundary',
];

/** The item writes an audit append is made of; allowed to the broker only inside a transaction. */
export const AUDIT_APPEND_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem'];

export interface BrokerBoundaryProps {
  /** The tables the broker may use (by verb; deletes never on audit), indexes included. */
  readonly tableArns: readonly string[];
  /** The audit table: destructive actions are denied there (and on its indexes) outright. */
  readonly auditTableArn: string;
  /**
   * The audit digests table (no index): only in the data boundary, the anchor function writing
   * digests and the auditors' readers reading them, `verify` whole (the one table ever scanned).
   */
  readonly auditDigestsTableArn?: string;
  readonly queueArns: readonly string[];
  readonly secretArns: readonly string[];
  /** Managed groups (path-scoped) and managed roles (path-scoped, per account). */
  readonly groupPathPattern: string;
  readonly rolePathPatterns: readonly string[];
  /**
   * The audit anchors: the Object Lock bucket's ARN, and the ARN pattern of this account's
   * KMS keys (not the key's own ARN: its key policy names the anchor role, which carries this
   * boundary, and the three would depend on each other). The key policy lets only that role sign.
   */
  readonly anchors?: { readonly bucketArn: string; readonly keyArnPattern: string };
}

/**
 * Which boundary a broker function carries: `control` for the functions that change access
 * (IAM, STS, Identity Center: the grant worker, sweeper, reconciler and request API), `data`
 * for the others (Slack, the console and audit APIs, the anchor and archive functions), which
 * get no IAM, STS or Identity Center action at all.
 */
export type BoundaryPlane = 'control' | 'data';

/**
 * The permissions boundaries on the broker's roles: the most any broker function could ever
 * do, whatever its own policy says. Both allow only the services the broker uses on its own
 * resources and deny deleting audit records or writing audit items other than through an
 * append's transaction. The control boundary alone allows IAM (only on the managed path) and
 * Identity Center, and denies changing the broker's own roles, lifting any boundary, or
 * swapping a brokered role's. The data boundary alone reaches the evidence buckets, the
 * anchor key and the audit digests. Two policies, because one managed policy holds at most 6,144 characters.
 */
export class BrokerBoundary extends Construct {
  /** The data-plane boundary (functions that never change access). */
  readonly policy: iam.ManagedPolicy;
  /** The control-plane boundary (functions that grant and revoke). */
  readonly controlPolicy: iam.ManagedPolicy;
  private evidence?: { allow: iam.PolicyStatement; deny: iam.PolicyStatement };

  constructor(scope: Construct, id: string, props: BrokerBoundaryProps) {
    super(scope, id);
    const shared = (): iam.PolicyStatement[] => [
      new iam.PolicyStatement({
        sid: 'DynamoDbByVerb',
        actions: [
          'dynamodb:ConditionCheckItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
        ],
        resources: props.tableArns.flatMap(withIndexes),
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
      // Deletes and writes act on the table (an index holds no item of its own).
      new iam.PolicyStatement({
        sid: 'DenyAuditDeletes',
        effect: iam.Effect.DENY,
        actions: AUDIT_DESTRUCTIVE_ACTIONS,
        resources: [props.auditTableArn],
      }),
      // Why: every audit write is an append (event, chain head and the chain's manifest entry
      // in one conditional transaction); a lone Put or Update could rewrite an event, a head
      // or a manifest entry without the others.
      new iam.PolicyStatement({
        sid: 'DenyAuditWritesOutsideTransactions',
        effect: iam.Effect.DENY,
        actions: AUDIT_APPEND_ACTIONS,
        resources: [props.auditTableArn],
        conditions: { StringNotEquals: { 'dynamodb:EnclosingOperation': 'TransactWriteItems' } },
      }),
    ];
    const control = [
      ...shared(),
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
      // Why: with PutRolePolicy on a brokered role, only its boundary keeps what the broker
      // writes there from exceeding the broker's own limits; the broker never sets or lifts a
      // boundary anywhere, so none may be lifted or swapped, brokered roles included.
      new iam.PolicyStatement({
        sid: 'DenyChangingBoundaries',
        effect: iam.Effect.DENY,
        actions: BOUNDARY_CHANGE_ACTIONS,
        resources: ['*'],
      }),
    ];
    const data = [
      ...shared(),
      ...(props.auditDigestsTableArn === undefined
        ? []
        : [
            new iam.PolicyStatement({
              sid: 'AuditDigests',
              actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:Scan'],
              resources: [props.auditDigestsTableArn],
            }),
          ]),
      ...(props.anchors ? anchorKeyStatements(props.anchors) : []),
    ];
    this.controlPolicy = new iam.ManagedPolicy(this, 'ControlPolicy', {
      path: BROKER_IAM_PATH,
      description: 'Permissions boundary of the JIT access broker roles that grant and revoke',
      statements: control,
    });
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      path: BROKER_IAM_PATH,
      description: 'Permissions boundary of the JIT access broker roles that never change access',
      statements: data,
    });
    if (props.anchors) this.keepEvidence(props.anchors.bucketArn);
    acknowledgeWildcardResources(
      this,
      [props.groupPathPattern, ...props.rolePathPatterns],
      "The boundary caps the broker at the managed IAM path; the functions' own policies name exact group and role ARNs.",
    );
    acknowledge(
      this.controlPolicy,
      'AwsSolutions-IAM5[Resource::*]',
      'cloudtrail:LookupEvents supports no resource-level permissions: * is its only resource. Read-only; only the sweeper is granted it.',
    );
    acknowledgeWildcardResources(
      this,
      props.tableArns.map((arn) => withIndexes(arn)[1]!),
      "The boundary caps the broker at its tables' indexes; each function's own policy names the exact indexes it queries.",
    );
    if (props.anchors) {
      acknowledgeWildcardResources(
        this,
        [props.anchors.keyArnPattern],
        "The boundary caps the broker at signing with this account's keys; the key's own policy lets only the anchor function sign, and the anchor function is granted exactly its key.",
      );
    }
  }

  /** The boundary of a function of `plane`. */
  of(plane: BoundaryPlane): iam.ManagedPolicy {
    return plane === 'control' ? this.controlPolicy : this.policy;
  }

  /** Both boundaries (for what every broker function may do, e.g. read an integration secret). */
  get policies(): readonly iam.ManagedPolicy[] {
    return [this.controlPolicy, this.policy];
  }

  /**
   * Lets the broker write to its stack's log groups (their generated names start with the
   * stack's name; each function's own policy names its one log group). Metrics travel as EMF
   * log lines. One pattern instead of one ARN per function keeps the boundary under IAM's
   * 6,144 characters however many functions there are.
   */
  allowOwnLogGroups(): void {
    const pattern = `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:${Aws.STACK_NAME}-*`;
    for (const policy of this.policies)
      policy.addStatements(
        new iam.PolicyStatement({
          sid: 'OwnLogs',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [pattern],
        }),
      );
    acknowledgeWildcardResources(
      this,
      [pattern],
      "The boundary caps log writes at this stack's log groups; each function's own policy names its one log group.",
    );
  }

  /**
   * An evidence bucket (anchors, archive): the broker may read, list and put objects there
   * (its functions' own policies decide who does what), and no broker role may delete objects,
   * hide them behind delete markers, shorten or lift retention, or loosen the bucket.
   */
  keepEvidence(bucketArn: string): void {
    const resources = [bucketArn, `${bucketArn}/*`];
    if (!this.evidence) {
      // One statement each for every evidence bucket: a managed policy holds 6,144 characters.
      this.evidence = {
        allow: new iam.PolicyStatement({
          sid: 'EvidenceBuckets',
          actions: ['s3:GetObject', 's3:ListBucket', 's3:PutObject'],
        }),
        deny: new iam.PolicyStatement({
          sid: 'DenyEvidenceTampering',
          effect: iam.Effect.DENY,
          actions: EVIDENCE_DESTRUCTIVE_ACTIONS,
        }),
      };
      this.policy.addStatements(this.evidence.allow, this.evidence.deny);
    }
    this.evidence.allow.addResources(...resources);
    this.evidence.deny.addResources(...resources);
    acknowledgeWildcardResources(
      this,
      [`${bucketArn}/*`],
      "The boundary caps the broker at the evidence buckets; each function's own policy names its one prefix.",
    );
  }
}

/** A table's ARN and its indexes' (streams are granted on their own ARN). */
function withIndexes(tableArn: string): string[] {
  return [tableArn, `${tableArn}/index/*`];
}

/**
 * The anchor key in the boundary: signing and reading its public key are allowed (the key's
 * own policy lets only the anchor function sign); disabling, re-policying or deleting it is
 * denied to every broker role whatever its policy says.
 */
function anchorKeyStatements(anchors: { keyArnPattern: string }): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'AuditAnchorKey',
      actions: ['kms:GetPublicKey', 'kms:Sign'],
      resources: [anchors.keyArnPattern],
    }),
    new iam.PolicyStatement({
      sid: 'DenyAnchorKeyTampering',
      effect: iam.Effect.DENY,
      actions: ANCHOR_KEY_DESTRUCTIVE_ACTIONS,
      resources: [anchors.keyArnPattern],
    }),
  ];
}
