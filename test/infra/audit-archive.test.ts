import { beforeAll, describe, expect, it } from 'vitest';
import { CONTEXT } from '../../infra/broker-app.js';
import { BROKER_FUNCTIONS } from '../../infra/broker-stack.js';
import {
  ARCHIVE_DESTRUCTIVE_ACTIONS,
  ARCHIVE_STREAM_RETRY_ATTEMPTS,
} from '../../infra/constructs/audit-archive.js';
import { ENV } from '../../shared/config/env.js';
import { synthBroker, type SynthResult } from './synth-broker.js';

let synth: SynthResult;
beforeAll(() => {
  synth = synthBroker({ context: { [CONTEXT.archiveEventBus]: 'security-siem' } });
});

interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: unknown;
}

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const resources = (type: string) => Object.entries(synth.json.Resources).filter(([, r]) => r.Type === type);
const statements = (doc: unknown) => (doc as { Statement: Statement[] }).Statement;
const idOf = (type: string, prefix: string) => {
  const found = resources(type).filter(([id]) => id.startsWith(prefix));
  expect(found, `${type} ${prefix}`).toHaveLength(1);
  return found[0]![0];
};

/** Whether an IAM action pattern (`s3:Delete*`, `s3:*`, `*`) covers `action`. */
function covers(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
  return re.test(action);
}

/** Whether a statement's resources could reach the archive bucket or its objects. */
function reachesArchive(statement: Statement, bucketId: string): boolean {
  // A statement with NotResource instead of Resource has no Resource list.
  return list(statement.Resource)
    .filter((r) => r !== undefined)
    .some((r) => r === '*' || JSON.stringify(r).includes(bucketId));
}

/** Concrete actions that delete archived events, hide them, or lock or re-policy the bucket. */
const DESTRUCTIVE = [
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  's3:DeleteObjectTagging',
  's3:PutObjectRetention',
  's3:PutObjectLegalHold',
  's3:BypassGovernanceRetention',
  's3:PutBucketPolicy',
  's3:DeleteBucketPolicy',
  's3:PutLifecycleConfiguration',
  's3:PutBucketVersioning',
  's3:DeleteBucket',
];

describe('audit archive', () => {
  it('streams new images of the audit table, which keeps its logical id', () => {
    const table = synth.json.Resources.AuditTableB07F8EEB;
    expect(table?.Properties?.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
    const requests = synth.json.Resources.RequestsTable419243C7;
    expect(requests?.Properties?.StreamSpecification).toBeUndefined();
  });

  it('feeds the archive function with batch item failures, bisect, bounded retries and an SQS on-failure destination', () => {
    const fn = idOf('AWS::Lambda::Function', 'AuditArchiveFunction');
    const queue = idOf('AWS::SQS::Queue', 'ArchiveStreamFailures');
    synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: fn },
      EventSourceArn: { 'Fn::GetAtt': ['AuditTableB07F8EEB', 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: ARCHIVE_STREAM_RETRY_ATTEMPTS,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queue, 'Arn'] } } },
    });
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
      MetricName: 'ApproximateNumberOfMessagesVisible',
    });
  });

  it('keeps events in a versioned, encrypted, private, SSL-only bucket, retained', () => {
    const bucket = synth.json.Resources[idOf('AWS::S3::Bucket', 'ArchiveBucket')] as unknown as {
      Properties: Record<string, unknown>;
      DeletionPolicy: string;
    };
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
  });

  it('no broker role can s3:DeleteObject* or change retention on the archive: never allowed, denied by the boundary and the bucket policy', () => {
    const bucketId = idOf('AWS::S3::Bucket', 'ArchiveBucket');
    const brokerRoles = resources('AWS::IAM::Role')
      .filter(([, r]) => (r.Properties as { Path?: string }).Path === '/jit-broker/')
      .map(([id]) => id);
    expect(brokerRoles).toHaveLength(BROKER_FUNCTIONS.length);
    let checked = 0;
    for (const [id, policy] of resources('AWS::IAM::Policy')) {
      const roles = JSON.stringify((policy.Properties as { Roles?: unknown }).Roles ?? []);
      if (!brokerRoles.some((r) => roles.includes(r))) continue;
      for (const statement of statements((policy.Properties as { PolicyDocument: unknown }).PolicyDocument)) {
        if (statement.Effect !== 'Allow' || !reachesArchive(statement, bucketId)) continue;
        checked += 1;
        for (const action of DESTRUCTIVE)
          expect(
            list(statement.Action).filter((a) => covers(a, action)),
            `${id} ${action}`,
          ).toEqual([]);
      }
    }
    expect(checked, 'the archive function writes to the bucket').toBeGreaterThan(0);

    const boundary = synth.json.Resources[idOf('AWS::IAM::ManagedPolicy', 'BoundaryPolicy')]!;
    const boundaryDenies = statements(boundary.Properties!.PolicyDocument).filter(
      (s) => s.Effect === 'Deny' && reachesArchive(s, bucketId),
    );
    for (const action of DESTRUCTIVE)
      expect(
        boundaryDenies.some((s) => list(s.Action).some((a) => covers(a, action))),
        action,
      ).toBe(true);

    const [[, bucketPolicy]] = resources('AWS::S3::BucketPolicy').filter(
      ([, p]) => JSON.stringify(p.Properties?.Bucket) === JSON.stringify({ Ref: bucketId }),
    ) as unknown as [[string, { Properties: { PolicyDocument: unknown } }]];
    const deny = statements(bucketPolicy.Properties.PolicyDocument).find(
      (s) => s.Sid === 'DenyBrokerRolesDestructiveActions',
    );
    expect(deny?.Effect).toBe('Deny');
    expect(deny?.Principal).toEqual({ AWS: '*' });
    expect(JSON.stringify(deny?.Condition)).toContain(':role/jit-broker/*');
    expect(list(deny?.Action ?? [])).toEqual(ARCHIVE_DESTRUCTIVE_ACTIONS);
    for (const action of DESTRUCTIVE)
      expect(
        ARCHIVE_DESTRUCTIVE_ACTIONS.some((a) => covers(a, action)),
        action,
      ).toBe(true);
  });

  it('the archive function writes events/, reads the audit stream and puts to the configured bus: nothing more', () => {
    const fn = synth.json.Resources[idOf('AWS::Lambda::Function', 'AuditArchiveFunction')]!;
    const vars = (fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(vars[ENV.archiveEventBus]).toBe('security-siem');
    expect(JSON.stringify(vars[ENV.archiveBucket])).toContain('ArchiveBucket');
    const role = idOf('AWS::IAM::Role', 'AuditArchiveRole');
    const allowed = resources('AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Properties?.Roles ?? []).includes(role))
      .flatMap(([, p]) => statements(p.Properties!.PolicyDocument));
    expect([...new Set(allowed.flatMap((s) => list(s.Action)))].sort()).toEqual([
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
      'events:PutEvents',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:ListBucket',
      's3:PutObject',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
    ]);
    const put = allowed.find((s) => list(s.Action).includes('s3:PutObject'));
    expect(JSON.stringify(put?.Resource)).toMatch(/ArchiveBucket.*\/events\/\*/);
    const bus = allowed.find((s) => list(s.Action).includes('events:PutEvents'));
    expect(JSON.stringify(bus?.Resource)).toContain(':event-bus/security-siem');
  });

  it('has a Glue table over events/ partitioned by day (projection), mapping person to subject', () => {
    synth.template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: {
        Name: 'jit_audit',
        TableType: 'EXTERNAL_TABLE',
        PartitionKeys: [{ Name: 'dt', Type: 'string' }],
        Parameters: {
          'projection.enabled': 'true',
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
        },
        StorageDescriptor: {
          SerdeInfo: {
            SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            Parameters: { 'mapping.person': 'subject' },
          },
        },
      },
    });
  });
});
