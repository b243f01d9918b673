import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { isGroupTarget } from '../../shared/targets/group/kind.js';
import { isRoleTarget } from '../../shared/targets/role/kind.js';
import { CONTEXT, createBrokerApp } from '../../infra/broker-app.js';
import { BROKER_FUNCTIONS, CONTROL_PLANE } from '../../infra/broker-stack.js';
import { AUDIT_DESTRUCTIVE_ACTIONS } from '../../infra/constructs/broker-boundary.js';
import { BASELINE_NAMES } from '../../infra/constructs/web-app-iam-baseline.js';
import {
  AUDIT_DIGESTS_TABLE,
  AUDIT_TABLE,
  REQUESTS_TABLE,
  type TableDefinition,
} from '../../shared/adapters/dynamodb/tables.js';
import { ENV } from '../../shared/config/env.js';
import { EXAMPLE_POLICY_PATH, loadPolicyFile } from '../../shared/config/policy-file.js';
import { SKIP_BUNDLING, synthBroker, type SynthResult } from './synth-broker.js';

/** One synthesized stack for the whole file (synthesis is the slow part). */
let synth: SynthResult;
beforeAll(() => {
  synth = synthBroker();
});

const examplePolicy = loadPolicyFile(EXAMPLE_POLICY_PATH);

interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Principal?: unknown;
  Condition?: unknown;
}

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const resourcesOf = <T extends { Type: string }>(json: Record<string, T>, type: string) =>
  Object.entries(json).filter(([, r]) => r.Type === type);

function logicalIdOf(prefix: string, type: string): string {
  const found = resourcesOf(synth.json.Resources, type).filter(([id]) => id.startsWith(prefix));
  expect(found, `${type} ${prefix}`).toHaveLength(1);
  return found[0]![0];
}

/** The statements of every policy attached to a role (inline policies and the role's own). */
function statementsOfRole(roleId: string): Statement[] {
  return resourcesOf(synth.json.Resources, 'AWS::IAM::Policy')
    .filter(([, r]) =>
      ((r.Properties?.Roles ?? []) as unknown[]).some((ref) => JSON.stringify(ref).includes(roleId)),
    )
    .flatMap(([, r]) => (r.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
}

const BROKER = {
  slack: 'SlackRole',
  grantWorker: 'GrantWorkerRole',
  sweeper: 'SweeperRole',
  reconciler: 'ReconcilerRole',
  auditApi: 'AuditApiRole',
  auditAnchor: 'AuditAnchorRole',
  requestApi: 'RequestApiRole',
  consoleApi: 'ConsoleApiRole',
} as const;

const roleId = (prefix: string) => logicalIdOf(prefix, 'AWS::IAM::Role');
const actionsOf = (statements: Statement[]) => statements.flatMap((s) => list(s.Action));
const allowed = (prefix: string) => statementsOfRole(roleId(prefix)).filter((s) => s.Effect === 'Allow');

describe('DynamoDB tables, mapped from the shared definitions', () => {
  const byKeys = (definition: TableDefinition) => {
    const tables = resourcesOf(synth.json.Resources, 'AWS::DynamoDB::Table').filter(([, r]) =>
      JSON.stringify(r.Properties?.KeySchema).includes(`"${definition.partitionKey.name}"`),
    );
    expect(tables).toHaveLength(1);
    return tables[0]![1] as { Properties: Record<string, unknown>; DeletionPolicy?: string };
  };

  it.each([
    ['requests', REQUESTS_TABLE],
    ['audit', AUDIT_TABLE],
    ['audit digests', AUDIT_DIGESTS_TABLE],
  ])(
    'the %s table has the shared keys, every GSI, and is on-demand, encrypted, PITR, protected',
    (_n, def) => {
      const table = byKeys(def);
      expect(table.Properties.KeySchema).toEqual([
        { AttributeName: def.partitionKey.name, KeyType: 'HASH' },
        ...(def.sortKey ? [{ AttributeName: def.sortKey.name, KeyType: 'RANGE' }] : []),
      ]);
      expect(table.Properties.GlobalSecondaryIndexes ?? []).toEqual(
        def.indexes.map((i) => ({
          IndexName: i.indexName,
          KeySchema: [
            { AttributeName: i.partitionKey.name, KeyType: 'HASH' },
            ...(i.sortKey ? [{ AttributeName: i.sortKey.name, KeyType: 'RANGE' }] : []),
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
      );
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        SSESpecification: { SSEEnabled: true },
      });
      expect(table.DeletionPolicy).toBe('Retain');
    },
  );
});

describe('functions', () => {
  it('are Node.js 24 ARM64 functions, their stack traces mapped by the bundle itself, with a one-month log group each', () => {
    synth.template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      {
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        // No --enable-source-maps: Node would parse the map at every cold start (infra/bundling.ts).
        Environment: { Variables: Match.objectLike({ NODE_OPTIONS: Match.absent() }) },
      },
      BROKER_FUNCTIONS.length,
    );
    // Plus CDK's BucketDeployment provider, which uploads the web console at deploy time.
    synth.template.resourceCountIs('AWS::Lambda::Function', BROKER_FUNCTIONS.length + 1);
    synth.template.resourcePropertiesCountIs(
      'AWS::Logs::LogGroup',
      { RetentionInDays: 30 },
      BROKER_FUNCTIONS.length,
    );
  });

  it('carry the table names, and the bundled policy path where they read the policy', () => {
    const functions = resourcesOf(synth.json.Resources, 'AWS::Lambda::Function').filter(
      ([, fn]) => fn.Properties?.Runtime === 'nodejs24.x',
    );
    expect(functions).toHaveLength(BROKER_FUNCTIONS.length);
    for (const [id, fn] of functions) {
      const vars = (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(vars, id).toHaveProperty(ENV.requestsTable);
      expect(vars, id).toHaveProperty(ENV.auditTable);
      expect(vars[ENV.metricsNamespace], id).toBe('JitBroker');
      if (id.startsWith('AuditApi') || id.startsWith('AuditAnchor') || id.startsWith('AuditArchive'))
        expect(vars, id).not.toHaveProperty(ENV.policyPath);
      else expect(vars[ENV.policyPath], id).toBe('/var/task/access-policy-example.yaml');
    }
  });

  it('name the audit digests table to the anchor function (which writes it) and the auditors’ readers only', () => {
    const digests = { Ref: logicalIdOf('AuditDigestsTable', 'AWS::DynamoDB::Table') };
    const withDigests = resourcesOf(synth.json.Resources, 'AWS::Lambda::Function')
      .filter(([, fn]) => fn.Properties?.Runtime === 'nodejs24.x')
      .filter(([, fn]) => {
        const vars = (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
        if (!(ENV.auditDigestsTable in vars)) return false;
        expect(vars[ENV.auditDigestsTable]).toEqual(digests);
        return true;
      })
      .map(([id]) => id.replace(/Function.*$/, ''));
    expect(withDigests.sort()).toEqual(['AuditAnchor', 'AuditApi', 'ConsoleApi']);
    const anchor = synth.json.Resources[logicalIdOf('AuditAnchorFunction', 'AWS::Lambda::Function')]!;
    expect(anchor.Properties?.Description).toBe(
      'Signs the audit chain heads into the Object Lock bucket; digests closed audit days per target',
    );
    // Without -c auditDigestFirstDay, the first digest run starts at the newest closed day.
    const vars = (anchor.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(vars).not.toHaveProperty(ENV.auditDigestFirstDay);
  });

  it('pass -c auditDigestFirstDay to the anchor function, and refuse a value that is not a day', () => {
    const anchorEnvironment = (day: string) => {
      const { stack } = createBrokerApp({
        outdir: mkdtempSync(join(tmpdir(), 'jit-cdk-')),
        context: { ...SKIP_BUNDLING, [CONTEXT.auditDigestFirstDay]: day },
      });
      const fn = stack.functions['audit-anchor'].function.node.defaultChild as lambda.CfnFunction;
      return (stack.resolve(fn.environment) as { variables: Record<string, unknown> }).variables;
    };
    expect(anchorEnvironment('2026-01-15')[ENV.auditDigestFirstDay]).toBe('2026-01-15');
    for (const bad of ['2026-02-30', '2026-1-15', 'yesterday'])
      expect(() => anchorEnvironment(bad), bad).toThrow(
        `auditDigestFirstDay: "${bad}" must be a day (YYYY-MM-DD)`,
      );
  });

  it('run the sweeper every minute and the reconciler on its own schedule', () => {
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalIdOf('SweeperFunction', 'AWS::Lambda::Function'), 'Arn'] },
        }),
      ],
    });
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalIdOf('ReconcilerFunction', 'AWS::Lambda::Function'), 'Arn'] },
        }),
      ],
    });
  });

  it('feed the grant worker from an encrypted, SSL-only queue with a dead-letter queue, reporting partial failures', () => {
    const dlq = logicalIdOf('GrantDeadLetterQueue', 'AWS::SQS::Queue');
    synth.template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] }, maxReceiveCount: 6 },
    });
    synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalIdOf('GrantWorkerFunction', 'AWS::Lambda::Function') },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    synth.template.resourcePropertiesCountIs(
      'AWS::SQS::QueuePolicy',
      {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      },
      // The grant queue, its dead-letter queue, and the archive stream's on-failure queue.
      3,
    );
  });

  it('let the worker make its last attempt (FAILED, revoke alert) one delivery before the DLQ', () => {
    const worker = synth.json.Resources[logicalIdOf('GrantWorkerFunction', 'AWS::Lambda::Function')]!;
    const vars = (worker.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(vars[ENV.grantMaxAttempts]).toBe('5');
    const queue = synth.json.Resources[logicalIdOf('GrantQueue', 'AWS::SQS::Queue')]!;
    const redrive = queue.Properties?.RedrivePolicy as { maxReceiveCount: number };
    expect(redrive.maxReceiveCount).toBe(Number(vars[ENV.grantMaxAttempts]) + 1);
  });

  it('serve the audit API behind AWS_IAM and Slack behind a signed-request URL', () => {
    synth.template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'AWS_IAM',
      TargetFunctionArn: { 'Fn::GetAtt': [logicalIdOf('AuditApiFunction', 'AWS::Lambda::Function'), 'Arn'] },
    });
    synth.template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [logicalIdOf('SlackFunction', 'AWS::Lambda::Function'), 'Arn'] },
    });
  });
});

describe('alarms', () => {
  it('fire on dead letters, revoke failures and grant-worker errors, into an encrypted SSL-only topic', () => {
    const topic = logicalIdOf('AlarmTopic', 'AWS::SNS::Topic');
    synth.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    synth.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    const alarm = {
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      AlarmActions: [{ Ref: topic }],
    };
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarm,
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalIdOf('GrantDeadLetterQueue', 'AWS::SQS::Queue'), 'QueueName'] },
        },
      ],
    });
    for (const service of ['jit-sweeper', 'jit-grant-worker']) {
      synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...alarm,
        Metrics: Match.arrayWith([
          Match.objectLike({
            MetricStat: Match.objectLike({
              Metric: {
                Namespace: 'JitBroker',
                MetricName: 'RevokeFailures',
                Dimensions: [{ Name: 'service', Value: service }],
              },
            }),
          }),
        ]),
      });
    }
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarm,
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [
        { Name: 'FunctionName', Value: { Ref: logicalIdOf('GrantWorkerFunction', 'AWS::Lambda::Function') } },
      ],
    });
  });

  it('fire when the anchor function could not anchor the heads or digest a closed day, as the anchor alarm does', () => {
    const topic = logicalIdOf('AlarmTopic', 'AWS::SNS::Topic');
    const onAnchorMetric = (metricName: string) => ({
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topic }],
      Namespace: 'JitBroker',
      MetricName: metricName,
      Statistic: 'Sum',
      Period: 300,
      Dimensions: [{ Name: 'service', Value: 'jit-audit-anchor' }],
    });
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', onAnchorMetric('AnchorFailures'));
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', onAnchorMetric('DigestFailures'));
  });
});

describe('least privilege of the broker', () => {
  const auditTableId = () => logicalIdOf('AuditTable', 'AWS::DynamoDB::Table');
  const isIamWrite = (action: string) =>
    /^iam:(Add|Attach|Create|Delete|Detach|Put|Remove|Set|Tag|Untag|Update|PassRole)/.test(action);

  it('gives every broker role, and only those, a broker permissions boundary', () => {
    const boundaries = [
      logicalIdOf('BoundaryPolicy', 'AWS::IAM::ManagedPolicy'),
      logicalIdOf('BoundaryControlPolicy', 'AWS::IAM::ManagedPolicy'),
    ];
    for (const prefix of Object.values(BROKER)) {
      const properties = synth.json.Resources[roleId(prefix)]?.Properties;
      expect(properties?.Path).toBe('/jit-broker/');
      expect(boundaries.map((id) => ({ Ref: id }))).toContainEqual(properties?.PermissionsBoundary);
    }
    synth.template.resourcePropertiesCountIs(
      'AWS::IAM::Role',
      { Path: '/jit-broker/' },
      BROKER_FUNCTIONS.length,
    );
  });

  it.each(Object.entries(BROKER))(
    '%s: every statement is scoped, by verb, and never deletes audit',
    (_name, prefix) => {
      const statements = statementsOfRole(roleId(prefix));
      expect(statements.length).toBeGreaterThan(0);
      for (const statement of statements) {
        const actions = list(statement.Action);
        const resources = list(statement.Resource);
        const where = JSON.stringify(statement);
        expect(statement.Effect, where).toBe('Allow');
        expect(actions, where).not.toContain('*');
        expect(actions, where).not.toContain('iam:*');
        expect(actions, where).not.toContain('dynamodb:*');
        expect(actions, where).not.toContain('dynamodb:DeleteItem');
        expect(actions, where).not.toContain('dynamodb:DeleteTable');
        for (const action of actions) expect(action, where).not.toMatch(/\*/);
        // Why: a `*` resource on an IAM write or an AssumeRole would reach every role and group.
        // The one exception, LookupEvents (read-only, no resource scope in IAM), is held to Regions.
        if (actions.join() === 'cloudtrail:LookupEvents')
          expect(
            Object.keys((statement.Condition as { StringEquals?: object } | undefined)?.StringEquals ?? {}),
            where,
          ).toEqual(['aws:RequestedRegion']);
        else expect(resources, where).not.toContain('*');
        if (actions.some((a) => isIamWrite(a) || a.startsWith('sts:'))) {
          for (const resource of resources)
            expect(JSON.stringify(resource), where).toMatch(/:(group|role)\/jit\//);
        }
        if (resources.some((r) => JSON.stringify(r).includes(auditTableId()))) {
          for (const action of AUDIT_DESTRUCTIVE_ACTIONS) expect(actions, where).not.toContain(action);
        }
      }
    },
  );

  it('the Slack function touches neither IAM nor STS', () => {
    const actions = actionsOf(allowed(BROKER.slack));
    expect(actions.filter((a) => a.startsWith('iam:') || a.startsWith('sts:'))).toEqual([]);
    expect(actions).toContain('sqs:SendMessage');
    expect(actions).toContain('secretsmanager:GetSecretValue');
  });

  it('the grant worker adds users to the managed groups and assumes the policy roles, nothing else', () => {
    const groupArns = examplePolicy.targets.filter(isGroupTarget).map((t) => t.groupName);
    const roleArns = examplePolicy.targets.filter(isRoleTarget).map((t) => t.roleArn);
    const statements = allowed(BROKER.grantWorker);
    const add = statements.find((s) => list(s.Action).includes('iam:AddUserToGroup'));
    expect(list(add!.Resource).map((r) => JSON.stringify(r))).toEqual(
      groupArns.map((name) => expect.stringContaining(`:group/jit/${name}`)),
    );
    const assume = statements.find((s) => list(s.Action).includes('sts:AssumeRole'));
    expect(list(assume!.Action).sort()).toEqual([
      'sts:AssumeRole',
      'sts:SetSourceIdentity',
      'sts:TagSession',
    ]);
    expect(list(assume!.Resource)).toEqual(roleArns);
    const iamActions = actionsOf(statements).filter((a) => a.startsWith('iam:'));
    expect([...new Set(iamActions)].sort()).toEqual([
      'iam:AddUserToGroup',
      'iam:DeleteRolePolicy',
      'iam:GetRolePolicy',
      'iam:PutRolePolicy',
      'iam:RemoveUserFromGroup',
    ]);
  });

  it('the sweeper only takes access away: no AddUserToGroup, no AssumeRole', () => {
    const actions = actionsOf(allowed(BROKER.sweeper));
    expect(actions).toContain('iam:RemoveUserFromGroup');
    expect(actions).not.toContain('iam:AddUserToGroup');
    expect(actions.filter((a) => a.startsWith('sts:'))).toEqual([]);
  });

  it('the sweeper hands membership restores to the worker: it may send to the grant queue', () => {
    const queueArn = { 'Fn::GetAtt': [logicalIdOf('GrantQueue', 'AWS::SQS::Queue'), 'Arn'] };
    const send = allowed(BROKER.sweeper).filter((s) => list(s.Action).includes('sqs:SendMessage'));
    expect(send.flatMap((s) => list(s.Resource))).toEqual([queueArn]);
    const vars = (
      synth.json.Resources[logicalIdOf('SweeperFunction', 'AWS::Lambda::Function')]!.Properties
        ?.Environment as { Variables: Record<string, unknown> }
    ).Variables;
    expect(vars[ENV.grantQueueUrl]).toEqual({ Ref: logicalIdOf('GrantQueue', 'AWS::SQS::Queue') });
  });

  it('the reconciler reads group members and, by default, removes nobody', () => {
    const actions = actionsOf(allowed(BROKER.reconciler));
    expect(actions).toContain('iam:GetGroup');
    expect(actions).not.toContain('iam:RemoveUserFromGroup');
    expect(actions.filter((a) => a.startsWith('iam:') && a !== 'iam:GetGroup')).toEqual([]);
    // Missing memberships of live grants become restore jobs for the worker, never an add here.
    expect(actions).not.toContain('iam:AddUserToGroup');
    const send = allowed(BROKER.reconciler).filter((s) => list(s.Action).includes('sqs:SendMessage'));
    expect(send.flatMap((s) => list(s.Resource))).toEqual([
      { 'Fn::GetAtt': [logicalIdOf('GrantQueue', 'AWS::SQS::Queue'), 'Arn'] },
    ]);
  });

  it('the audit API only reads DynamoDB (and writes its own logs)', () => {
    const actions = [...new Set(actionsOf(allowed(BROKER.auditApi)))].sort();
    expect(actions).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:Scan',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
  });

  /** Every statement of a role that names the digests table (or something under it). */
  const onDigests = (prefix: string) => {
    const digests = logicalIdOf('AuditDigestsTable', 'AWS::DynamoDB::Table');
    return allowed(prefix)
      .filter((s) => JSON.stringify(s.Resource).includes(digests))
      .map((s) => ({ actions: list(s.Action).sort(), resources: list(s.Resource) }));
  };
  const digestsArn = () => ({
    'Fn::GetAtt': [logicalIdOf('AuditDigestsTable', 'AWS::DynamoDB::Table'), 'Arn'],
  });

  it('the anchor function reads and writes digests (no delete), and queries only the audit by-day index', () => {
    expect(onDigests(BROKER.auditAnchor)).toEqual([
      { actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], resources: [digestsArn()] },
    ]);
    const dynamo = allowed(BROKER.auditAnchor).filter((s) =>
      list(s.Action).some((a) => a.startsWith('dynamodb:')),
    );
    const auditArn = { 'Fn::GetAtt': [auditTableId(), 'Arn'] };
    expect(dynamo.map((s) => ({ actions: list(s.Action).sort(), resources: list(s.Resource) }))).toEqual([
      { actions: ['dynamodb:GetItem'], resources: [auditArn] },
      { actions: ['dynamodb:Query'], resources: [{ 'Fn::Join': ['', [auditArn, '/index/by-day']] }] },
      { actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], resources: [digestsArn()] },
    ]);
  });

  it.each([
    ['the audit API', BROKER.auditApi],
    ['the console API', BROKER.consoleApi],
  ])('%s reads the digests and scans them for verify, and writes none', (_name, prefix) => {
    expect(onDigests(prefix)).toEqual([
      { actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'], resources: [digestsArn()] },
    ]);
  });

  it('no other function touches the digests', () => {
    for (const prefix of Object.values(BROKER).filter(
      (p) => ![BROKER.auditAnchor, BROKER.auditApi, BROKER.consoleApi].includes(p as never),
    ))
      expect(onDigests(prefix), prefix).toEqual([]);
  });

  it.each(['BoundaryControlPolicy', 'BoundaryPolicy'])(
    '%s denies deleting audit records and lone audit writes, and allows no wildcard',
    (prefix) => {
      const boundary = synth.json.Resources[logicalIdOf(prefix, 'AWS::IAM::ManagedPolicy')]!;
      const statements = (boundary.Properties?.PolicyDocument as { Statement: Statement[] }).Statement;
      const denies = statements.filter((s) => s.Effect === 'Deny');
      const auditDeny = denies.find((s) => list(s.Action).includes('dynamodb:DeleteItem'))!;
      expect(list(auditDeny.Action)).toEqual(
        expect.arrayContaining(['dynamodb:DeleteItem', 'dynamodb:DeleteTable']),
      );
      expect(JSON.stringify(auditDeny.Resource)).toContain(auditTableId());
      expect(JSON.stringify(auditDeny.Resource)).not.toContain(
        logicalIdOf('RequestsTable', 'AWS::DynamoDB::Table'),
      );
      // Audit items (events, chain heads, manifest entries) change only inside an append's
      // transaction: a lone PutItem or UpdateItem carries no enclosing operation and is denied.
      const loneWrites = denies.find((s) => s.Sid === 'DenyAuditWritesOutsideTransactions')!;
      expect(loneWrites).toMatchObject({
        Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Condition: { StringNotEquals: { 'dynamodb:EnclosingOperation': 'TransactWriteItems' } },
      });
      expect(JSON.stringify(loneWrites.Resource)).toContain(auditTableId());
      expect(JSON.stringify(loneWrites.Resource)).not.toContain(
        logicalIdOf('RequestsTable', 'AWS::DynamoDB::Table'),
      );
      // The digests: in the data boundary alone (the anchor function, the audit and console
      // APIs), the one table ever scanned (verify reads them whole); no delete.
      const digests = logicalIdOf('AuditDigestsTable', 'AWS::DynamoDB::Table');
      const onDigests = statements.filter((s) => String(JSON.stringify(s.Resource)).includes(digests));
      expect(onDigests.map((s) => [s.Effect, list(s.Action), list(s.Resource)])).toEqual(
        prefix === 'BoundaryPolicy'
          ? [
              [
                'Allow',
                ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:Scan'],
                [{ 'Fn::GetAtt': [digests, 'Arn'] }],
              ],
            ]
          : [],
      );
      expect(
        statements.filter((s) => s.Effect === 'Allow' && list(s.Action).includes('dynamodb:Scan')),
      ).toEqual(onDigests);
      for (const allow of statements.filter((s) => s.Effect === 'Allow')) {
        expect(
          list(allow.Action).filter((a) => a.includes('*')),
          JSON.stringify(allow),
        ).toEqual([]);
        // The exceptions: IAM scopes dynamodb:ListStreams (stream ARNs, no records) and
        // cloudtrail:LookupEvents (read-only) only to `*`.
        if (['dynamodb:ListStreams', 'cloudtrail:LookupEvents'].includes(list(allow.Action).join())) continue;
        expect(list(allow.Resource), JSON.stringify(allow)).not.toContain('*');
      }
    },
  );

  it('the control boundary denies changing the broker itself; only functions that change access carry it', () => {
    const control = logicalIdOf('BoundaryControlPolicy', 'AWS::IAM::ManagedPolicy');
    const boundary = synth.json.Resources[control]!;
    const statements = (boundary.Properties?.PolicyDocument as { Statement: Statement[] }).Statement;
    const selfDeny = statements.find((s) => s.Effect === 'Deny' && list(s.Action).includes('iam:Put*'))!;
    expect(list(selfDeny.Action)).toEqual(
      expect.arrayContaining(['iam:Attach*', 'iam:Delete*', 'iam:Update*']),
    );
    expect(JSON.stringify(selfDeny.Resource)).toContain(':role/jit-broker/*');
    expect(JSON.stringify(selfDeny.Resource)).toContain(':policy/jit-broker/*');
    const data = logicalIdOf('BoundaryPolicy', 'AWS::IAM::ManagedPolicy');
    for (const name of BROKER_FUNCTIONS) {
      const pascal = name.replace(/(^|-)(\w)/g, (_m, _d: string, c: string) => c.toUpperCase());
      const role = synth.json.Resources[roleId(`${pascal}Role`)]!;
      expect(role.Properties?.PermissionsBoundary, name).toEqual({
        Ref: CONTROL_PLANE.has(name) ? control : data,
      });
    }
  });
});

describe('web-app IAM baseline', () => {
  const workerRoleArn = () => ({ 'Fn::GetAtt': [roleId(BROKER.grantWorker), 'Arn'] });
  const requestApiRoleArn = () => ({ 'Fn::GetAtt': [roleId(BROKER.requestApi), 'Arn'] });

  it("creates the policy's groups under the managed path", () => {
    const names = examplePolicy.targets.filter(isGroupTarget).map((t) => t.groupName);
    expect(names.sort()).toEqual(Object.values(BASELINE_NAMES.groups).sort());
    for (const name of names)
      synth.template.hasResourceProperties('AWS::IAM::Group', { GroupName: name, Path: '/jit/' });
  });

  it.each(examplePolicy.targets.filter(isRoleTarget).map((t) => t.roleArn.split('/').pop()!))(
    'role %s: under /jit/, one-hour sessions, trusting only the broker (worker, request API) with source identity and tags',
    (name) => {
      const roles = resourcesOf(synth.json.Resources, 'AWS::IAM::Role').filter(
        ([, r]) => r.Properties?.RoleName === name,
      );
      expect(roles).toHaveLength(1);
      expect(roles[0]![1].Properties).toMatchObject({ Path: '/jit/', MaxSessionDuration: 3600 });
      expect(roles[0]![1].Properties?.AssumeRolePolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          ...[workerRoleArn(), requestApiRoleArn()].map((arn) => ({
            Effect: 'Allow',
            Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
            Principal: { AWS: arn },
            Condition: { Null: { 'sts:SourceIdentity': 'false', 'aws:TagKeys': 'false' } },
          })),
        ],
      });
    },
  );

  it('lets the auditor read the audit trail and call the audit API, and write nothing', () => {
    const statements = allowed('WebAppIamBaselineAuditorRole');
    const actions = actionsOf(statements);
    expect(actions.filter((a) => /^dynamodb:(Put|Update|Delete|BatchWrite)/.test(a))).toEqual([]);
    const reads = statements.find((s) => list(s.Action).includes('dynamodb:Query'))!;
    expect(JSON.stringify(reads.Resource)).toContain(logicalIdOf('AuditTable', 'AWS::DynamoDB::Table'));
    // The CLI's reads through the digests (AUDIT_DIGESTS_TABLE_NAME), and verify's scan of them.
    expect(list(reads.Resource)).toContainEqual({
      'Fn::GetAtt': [logicalIdOf('AuditDigestsTable', 'AWS::DynamoDB::Table'), 'Arn'],
    });
    expect(list(reads.Action)).toContain('dynamodb:Scan');
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 'lambda:InvokeFunctionUrl',
        Resource: { 'Fn::GetAtt': [logicalIdOf('AuditApiFunction', 'AWS::Lambda::Function'), 'Arn'] },
      }),
    );
  });

  it('gives the web tier and its functions service roles outside the managed path', () => {
    for (const [prefix, service] of [
      ['WebAppIamBaselineWebTierTaskRole', 'ecs-tasks.amazonaws.com'],
      ['WebAppIamBaselineWebFunctionRole', 'lambda.amazonaws.com'],
    ] as const) {
      const role = synth.json.Resources[roleId(prefix)]!.Properties!;
      expect(role.Path).toBeUndefined();
      expect(JSON.stringify(role.AssumeRolePolicyDocument)).toContain(service);
    }
  });
});
