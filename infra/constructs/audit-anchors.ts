import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeWildcardResources } from '../nag.js';

/** Default Object Lock retention of the anchors (`-c anchorRetentionDays=N` changes it). */
export const DEFAULT_ANCHOR_RETENTION_DAYS = 400;

/** Where anchors are written in the bucket. */
export const ANCHOR_PREFIX = 'anchors/';

/**
 * What no broker role may do to an evidence bucket (anchors, archive): delete objects or
 * versions (or hide them behind delete markers), shorten or lift their retention, set legal
 * holds, or loosen the bucket that keeps them.
 */
export const EVIDENCE_DESTRUCTIVE_ACTIONS = [
  's3:DeleteBucket',
  's3:DeleteBucketPolicy',
  's3:DeleteObject*',
  's3:BypassGovernanceRetention',
  's3:PutBucketObjectLockConfiguration',
  's3:PutBucketPolicy',
  's3:PutBucketVersioning',
  's3:PutLifecycleConfiguration',
  's3:PutObjectLegalHold',
  's3:PutObjectRetention',
];

/** The anchors are evidence: the same actions are denied on them as on every evidence bucket. */
export const ANCHOR_DESTRUCTIVE_ACTIONS = EVIDENCE_DESTRUCTIVE_ACTIONS;

/** What no broker role may do to the signing key: the key that vouches for the anchors. */
export const ANCHOR_KEY_DESTRUCTIVE_ACTIONS = [
  'kms:CreateGrant',
  'kms:DisableKey',
  'kms:PutKeyPolicy',
  'kms:ScheduleKeyDeletion',
];

/** The key administration actions account administrators keep (never the use of the key). */
const KEY_ADMIN_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:Create*',
  'kms:Delete*',
  'kms:Describe*',
  'kms:Disable*',
  'kms:Enable*',
  'kms:Get*',
  'kms:List*',
  'kms:Put*',
  'kms:Revoke*',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:Update*',
];

export interface AuditAnchorsProps {
  /** COMPLIANCE retention of each anchor, in days: nobody, root included, can shorten it. */
  readonly retentionDays: number;
  /** ARN pattern of every broker role (`arn:…:role/jit-broker/*`): denied any destructive action. */
  readonly brokerRolePattern: string;
}

/**
 * The evidence outside the audit table: an asymmetric KMS key (ECC_NIST_P256, SIGN_VERIFY)
 * that signs digests of the chain heads, and an S3 bucket with Object Lock whose default
 * COMPLIANCE retention locks every anchor written to it. Only the signer may use the key;
 * anyone in the account may read its public key (to verify, also offline). The bucket policy
 * denies every broker role deletes, retention and policy changes (the deployer is not one).
 */
export class AuditAnchors extends Construct {
  readonly key: kms.Key;
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: AuditAnchorsProps) {
    super(scope, id);
    if (!Number.isInteger(props.retentionDays) || props.retentionDays < 1) {
      throw new Error(
        `anchorRetentionDays: ${props.retentionDays} must be a whole number of days, at least 1`,
      );
    }
    const account = new iam.AccountRootPrincipal();
    this.key = new kms.Key(this, 'SigningKey', {
      description: 'Signs digests of the JIT broker audit chain heads (audit anchors)',
      keySpec: kms.KeySpec.ECC_NIST_P256,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      // Why: a deleted key would leave anchors that only an exported public key can check.
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
      // No `kms:*` for the account: administrators manage the key but cannot sign with it.
      policy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            sid: 'KeyAdministration',
            principals: [account],
            actions: KEY_ADMIN_ACTIONS,
            resources: ['*'],
          }),
          new iam.PolicyStatement({
            sid: 'AnyoneInTheAccountReadsThePublicKey',
            principals: [account],
            actions: ['kms:DescribeKey', 'kms:GetPublicKey', 'kms:Verify'],
            resources: ['*'],
          }),
        ],
      }),
    });
    acknowledge(
      this.key,
      'AwsSolutions-KMS5',
      'Asymmetric signing keys cannot rotate in KMS; anchors name the key id that signed them, so a new key can be introduced later.',
    );

    this.bucket = new s3.Bucket(this, 'Bucket', {
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(Duration.days(props.retentionDays)),
      versioned: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.bucket,
      'AwsSolutions-S1',
      'Anchors are written by one function and are immutable (Object Lock COMPLIANCE); CloudTrail S3 data events, not server access logs, are the record of who read or tried to change them.',
    );
    // Why: the broker must never be able to remove, hide or unlock the evidence against it.
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyBrokerRolesDestructiveActions',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ANCHOR_DESTRUCTIVE_ACTIONS,
        resources: [this.bucket.bucketArn, this.bucket.arnForObjects('*')],
        conditions: { ArnLike: { 'aws:PrincipalArn': props.brokerRolePattern } },
      }),
    );
  }

  /** Lets `role` sign with the key (key policy and role policy) and write and read anchors. */
  allowSigner(role: iam.Role): void {
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTheAnchorFunctionSigns',
        principals: [new iam.ArnPrincipal(role.roleArn)],
        actions: ['kms:Sign'],
        resources: ['*'],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['kms:GetPublicKey', 'kms:Sign'], resources: [this.key.keyArn] }),
    );
    const objects = this.bucket.arnForObjects(`${ANCHOR_PREFIX}*`);
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources: [objects] }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${ANCHOR_PREFIX}*`] } },
      }),
    );
    acknowledgeWildcardResources(
      role,
      [objects],
      'The anchor function writes one new object per run under the anchors/ prefix, named by the time.',
    );
  }
}
