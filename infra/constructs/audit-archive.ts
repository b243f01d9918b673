import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaEvents from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVIDENCE_DESTRUCTIVE_ACTIONS } from './audit-anchors.js';
import { acknowledge, acknowledgeWildcardResources } from '../nag.js';
import type { BrokerBoundary } from './broker-boundary.js';
import type { BrokerFunction } from './broker-function.js';

/** Where the archive function writes events (`events/dt=YYYY-MM-DD/<chain>-<seq>.jsonl`). */
export const ARCHIVE_PREFIX = 'events/';

/** What no broker role may do to the archive: the same as to every evidence bucket. */
export const ARCHIVE_DESTRUCTIVE_ACTIONS = EVIDENCE_DESTRUCTIVE_ACTIONS;

/** Retries of a failed stream batch before its position goes to the on-failure queue. */
export const ARCHIVE_STREAM_RETRY_ATTEMPTS = 10;

/** The Athena table's columns (README "For auditors: the archive"); `person` maps `subject`. */
const ARCHIVE_COLUMNS: readonly glue.CfnTable.ColumnProperty[] = [
  ['type', 'string'],
  ['at', 'string'],
  ['actor', 'string'],
  ['person', 'string'],
  ['principal', 'string'],
  ['targetid', 'string'],
  ['requestid', 'string'],
  ['fromstatus', 'string'],
  ['tostatus', 'string'],
  ['reason', 'string'],
  ['ticket', 'string'],
  ['approvers', 'array<string>'],
  ['breakglass', 'boolean'],
  ['awsrequestid', 'string'],
  ['detail', 'map<string,string>'],
  ['chain', 'string'],
  ['seq', 'bigint'],
  ['prevhash', 'string'],
  ['hash', 'string'],
].map(([name, type]) => ({ name: name!, type: type! }));

export interface AuditArchiveProps {
  /** ARN pattern of every broker role (`arn:…:role/jit-broker/*`): denied any destructive action. */
  readonly brokerRolePattern: string;
  /** An EventBridge bus (name or ARN) each archived event is also sent to, for a SIEM rule. */
  readonly eventBus?: string;
}

/**
 * The audit archive: a versioned, private, SSL-only bucket of JSON lines that no broker role
 * can delete from or put retention on (bucket policy and the broker boundary both deny it),
 * the queue that receives the position of stream batches that failed every retry, and a Glue
 * table (partition projection by day) so Athena queries the archive without a crawler.
 */
export class AuditArchive extends Construct {
  readonly bucket: s3.Bucket;
  /** Where the stream source sends batches that failed every retry (then: `archive replay`). */
  readonly failures: sqs.Queue;
  /** The bus's ARN when forwarding is on. */
  readonly eventBusArn: string | undefined;
  readonly eventBusName: string | undefined;

  constructor(scope: Construct, id: string, props: AuditArchiveProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      versioned: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.bucket,
      'AwsSolutions-S1',
      'Written by one function with deterministic keys and verified against the table (jit-audit verify --archive); CloudTrail S3 data events, not server access logs, record who read or tried to change it.',
    );
    // Why: the broker must never be able to remove or hide the evidence outside its own table.
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyBrokerRolesDestructiveActions',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ARCHIVE_DESTRUCTIVE_ACTIONS,
        resources: [this.bucket.bucketArn, this.bucket.arnForObjects('*')],
        conditions: { ArnLike: { 'aws:PrincipalArn': props.brokerRolePattern } },
      }),
    );

    this.failures = new sqs.Queue(this, 'StreamFailures', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      this.failures,
      'AwsSolutions-SQS3',
      'This queue is itself the on-failure destination of the archive stream (positions of failed batches); an alarm watches it.',
    );

    if (props.eventBus) {
      this.eventBusArn = props.eventBus.startsWith('arn:')
        ? props.eventBus
        : `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/${props.eventBus}`;
      this.eventBusName = props.eventBus;
    }
    this.createGlueTable();
  }

  /**
   * Feeds `fn` from the audit table's stream (batch item failures, bisect on error, bounded
   * retries, failed positions to the on-failure queue) and grants it exactly the archive's
   * writes, the bus, and the boundary statements that allow them. Returns the stream's event
   * source mapping ARN (the brokered-role boundary denies changing it).
   */
  connect(fn: BrokerFunction, auditTable: dynamodb.ITable, boundary: BrokerBoundary): string {
    const streamArn = auditTable.tableStreamArn;
    if (!streamArn) throw new Error('the audit table has no stream: create it with stream NEW_IMAGE');
    const stream = new lambdaEvents.DynamoEventSource(auditTable, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: 100,
      maxBatchingWindow: Duration.seconds(5),
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      retryAttempts: ARCHIVE_STREAM_RETRY_ATTEMPTS,
      // The stream keeps records 24 hours; give up well before, so the replay can start in time.
      maxRecordAge: Duration.hours(12),
      onFailure: new lambdaEvents.SqsDlq(this.failures),
    });
    fn.function.addEventSource(stream);
    const events = this.bucket.arnForObjects(`${ARCHIVE_PREFIX}*`);
    fn.role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [events] }));
    // The gap check and replay list by day; the function itself only lists its own prefix.
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${ARCHIVE_PREFIX}*`] } },
      }),
    );
    if (this.eventBusArn) {
      fn.role.addToPolicy(
        new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [this.eventBusArn] }),
      );
    }
    acknowledgeWildcardResources(
      fn.role,
      [events],
      'The archive function writes one object per audit event under events/, named by its day, chain and sequence.',
    );
    // DynamoEventSource grants dynamodb:ListStreams, which IAM only scopes to `*`.
    acknowledge(
      fn.role,
      'AwsSolutions-IAM5[Resource::*]',
      'dynamodb:ListStreams has no resource scope in IAM; reading records is granted on the audit stream only.',
    );

    // Why: overwriting is how a retry lands; deleting or locking never is.
    boundary.keepEvidence(this.bucket.bucketArn);
    boundary.policy.addStatements(
      new iam.PolicyStatement({
        sid: 'AuditArchive',
        actions: [
          'dynamodb:DescribeStream',
          'dynamodb:GetRecords',
          'dynamodb:GetShardIterator',
          'sqs:SendMessage',
          ...(this.eventBusArn ? ['events:PutEvents'] : []),
        ],
        resources: [streamArn, this.failures.queueArn, ...(this.eventBusArn ? [this.eventBusArn] : [])],
      }),
      new iam.PolicyStatement({ sid: 'ListStreams', actions: ['dynamodb:ListStreams'], resources: ['*'] }),
    );
    acknowledgeWildcardResources(
      boundary,
      ['*'],
      'The boundary caps the broker at listing streams (dynamodb:ListStreams has no resource scope); the archive function is granted exactly events/ and the audit stream.',
    );
    return stream.eventSourceMappingArn;
  }

  /** Alarms on `topic` when a stream batch failed every retry (run `jit-audit archive replay`). */
  alarmOn(topic: cloudwatch.IAlarmAction): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, 'StreamFailuresAlarm', {
      alarmDescription:
        'Audit events could not be archived after every retry: run jit-audit archive replay for the day, then verify --archive',
      metric: this.failures.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(topic);
    return alarm;
  }

  /** The Athena table of the README's DDL, as Glue resources (partition projection, no crawler). */
  private createGlueTable(): void {
    const account = Stack.of(this).account;
    const database = new glue.CfnDatabase(this, 'GlueDatabase', {
      catalogId: account,
      databaseInput: {
        name: 'jit_audit_archive',
        description: 'The JIT access broker audit archive',
      },
    });
    const location = `s3://${this.bucket.bucketName}/${ARCHIVE_PREFIX}`;
    const table = new glue.CfnTable(this, 'GlueTable', {
      catalogId: account,
      databaseName: 'jit_audit_archive',
      tableInput: {
        name: 'jit_audit',
        description: 'One row per audit event, partitioned by day (dt)',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [{ name: 'dt', type: 'string' }],
        parameters: {
          classification: 'json',
          'projection.enabled': 'true',
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.dt.range': '2026-01-01,NOW',
          'storage.location.template': `${location}dt=\${dt}/`,
        },
        storageDescriptor: {
          columns: [...ARCHIVE_COLUMNS],
          location,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: {
            serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            parameters: { 'mapping.person': 'subject', 'case.insensitive': 'true' },
          },
        },
      },
    });
    table.node.addDependency(database);
  }
}
