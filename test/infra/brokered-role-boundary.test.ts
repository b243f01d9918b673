import { beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_DESTRUCTIVE_ACTIONS } from '../../infra/constructs/broker-boundary.js';
import { brokerFunctionNamePrefix } from '../../infra/constructs/brokered-role-boundary.js';
import { BASELINE_NAMES } from '../../infra/constructs/web-app-iam-baseline.js';
import { synthBroker, type SynthResult } from './synth-broker.js';

/** One synthesized stack for the whole file (synthesis is the slow part). */
let synth: SynthResult;
beforeAll(() => {
  synth = synthBroker();
});

interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

function logicalIdOf(prefix: string, type: string): string {
  const found = Object.entries(synth.json.Resources).filter(
    ([id, r]) => r.Type === type && id.startsWith(prefix),
  );
  expect(found, `${type} ${prefix}`).toHaveLength(1);
  return found[0]![0];
}

function statementsOf(policyPrefix: string): Statement[] {
  const policy = synth.json.Resources[logicalIdOf(policyPrefix, 'AWS::IAM::ManagedPolicy')]!;
  return (policy.Properties?.PolicyDocument as { Statement: Statement[] }).Statement;
}

/**
 * Renders a CloudFormation value as text: `<Logical.Arn>` for Fn::GetAtt, `<Id>` for a Ref,
 * joins concatenated. Statements and the requests below are compared in this form.
 */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const intrinsic = value as Record<string, unknown>;
  if (Array.isArray(intrinsic['Fn::Join'])) {
    const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(separator);
  }
  if (typeof intrinsic.Ref === 'string') return `<${intrinsic.Ref}>`;
  if (Array.isArray(intrinsic['Fn::GetAtt'])) return `<${(intrinsic['Fn::GetAtt'] as string[]).join('.')}>`;
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

/** IAM wildcard matching: `*` any run, `?` one character; actions ignore case. */
function globMatches(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

const matches = (statement: Statement, action: string, resource: string) =>
  list(statement.Action).some((a) => globMatches(a, action, true)) &&
  list(statement.Resource).some((r) => globMatches(render(r), resource));

/** The Sids of the unconditional Deny statements that refuse `action` on `resource`. */
const denyingSids = (statements: Statement[], action: string, resource: string) =>
  statements
    .filter((s) => s.Effect === 'Deny' && s.Condition === undefined && matches(s, action, resource))
    .map((s) => s.Sid);

const PARTITION_ACCOUNT = 'arn:<AWS::Partition>:iam::<AWS::AccountId>';
const arnOf = (prefix: string, type: string) => `<${logicalIdOf(prefix, type)}.Arn>`;
/** A broker function's ARN, by the name the stack gives it. */
const functionArn = (prefix: string) => {
  const name = synth.json.Resources[logicalIdOf(prefix, 'AWS::Lambda::Function')]!.Properties?.FunctionName;
  expect(typeof name, `${prefix}'s FunctionName`).toBe('string');
  return `arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:${String(name)}`;
};
/** Every broker function's construct id prefix in the template. */
const FUNCTIONS = [
  'SlackFunction',
  'GrantWorkerFunction',
  'SweeperFunction',
  'ReconcilerFunction',
  'AuditApiFunction',
  'AuditAnchorFunction',
  'RequestApiFunction',
  'ConsoleApiFunction',
  'AuditArchiveFunction',
  'AccessReviewFunction',
];

/** Every data-plane write and resource-policy change on a table, spelled out as IAM names them. */
const TABLE_WRITES = [
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:DeleteResourcePolicy',
  'dynamodb:ImportTable',
  'dynamodb:PartiQLDelete',
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PutItem',
  'dynamodb:PutResourcePolicy',
  'dynamodb:RestoreTableFromAwsBackup',
  'dynamodb:RestoreTableFromBackup',
  'dynamodb:RestoreTableToPointInTime',
  'dynamodb:UpdateItem',
];

describe('the brokered-role permissions boundary', () => {
  const boundaryRef = () => ({ Ref: logicalIdOf('BrokeredRoleBoundaryPolicy', 'AWS::IAM::ManagedPolicy') });

  it.each(Object.values(BASELINE_NAMES.roles))(
    'is the permissions boundary of the brokered role %s',
    (name) => {
      const roles = Object.values(synth.json.Resources).filter(
        (r) => r.Type === 'AWS::IAM::Role' && r.Properties?.RoleName === name,
      );
      expect(roles).toHaveLength(1);
      expect(roles[0]!.Properties).toMatchObject({ Path: '/jit/', PermissionsBoundary: boundaryRef() });
    },
  );

  it('bounds exactly the brokered roles, and lives under the broker path out of their reach', () => {
    const bounded = Object.values(synth.json.Resources).filter(
      (r) =>
        r.Type === 'AWS::IAM::Role' &&
        JSON.stringify(r.Properties?.PermissionsBoundary) === JSON.stringify(boundaryRef()),
    );
    expect(bounded.map((r) => r.Properties?.RoleName).sort()).toEqual(
      Object.values(BASELINE_NAMES.roles).sort(),
    );
    const policy = synth.json.Resources[boundaryRef().Ref]!;
    expect(policy.Properties?.Path).toBe('/jit-broker/');
  });

  it('only caps: its one Allow is everything, the rest are denies', () => {
    const statements = statementsOf('BrokeredRoleBoundaryPolicy');
    expect(statements.filter((s) => s.Effect === 'Allow')).toEqual([
      { Sid: 'CapOnly', Effect: 'Allow', Action: '*', Resource: '*' },
    ]);
  });

  const deniedCases: [string, string, () => string][] = [
    // (a) the broker's own roles and policies
    [
      'writing an inline policy on a broker role',
      'iam:PutRolePolicy',
      () => `${PARTITION_ACCOUNT}:role/jit-broker/GrantWorkerRole`,
    ],
    [
      'attaching a policy to a broker role',
      'iam:AttachRolePolicy',
      () => `${PARTITION_ACCOUNT}:role/jit-broker/SweeperRole`,
    ],
    [
      'rewriting a broker boundary',
      'iam:CreatePolicyVersion',
      () => `${PARTITION_ACCOUNT}:policy/jit-broker/BrokeredRoleBoundary`,
    ],
    [
      'deleting a broker boundary',
      'iam:DeletePolicy',
      () => `${PARTITION_ACCOUNT}:policy/jit-broker/Boundary`,
    ],
    // (b) the brokered roles and groups themselves
    [
      'writing an inline policy on a brokered role',
      'iam:PutRolePolicy',
      () => `${PARTITION_ACCOUNT}:role/jit/ProdOperator`,
    ],
    [
      'deleting the early-revoke deny of a brokered role',
      'iam:DeleteRolePolicy',
      () => `${PARTITION_ACCOUNT}:role/jit/ProdOperator`,
    ],
    [
      'attaching a policy to a brokered role',
      'iam:AttachRolePolicy',
      () => `${PARTITION_ACCOUNT}:role/jit/Auditor`,
    ],
    [
      'changing who may assume a brokered role',
      'iam:UpdateAssumeRolePolicy',
      () => `${PARTITION_ACCOUNT}:role/jit/BreakGlassAdmin`,
    ],
    [
      'swapping the boundary of a brokered role',
      'iam:PutRolePermissionsBoundary',
      () => `${PARTITION_ACCOUNT}:role/jit/BreakGlassAdmin`,
    ],
    [
      'lifting the boundary of a brokered role',
      'iam:DeleteRolePermissionsBoundary',
      () => `${PARTITION_ACCOUNT}:role/jit/ProdOperator`,
    ],
    ['lengthening brokered sessions', 'iam:UpdateRole', () => `${PARTITION_ACCOUNT}:role/jit/ProdOperator`],
    [
      'creating a role under the managed path',
      'iam:CreateRole',
      () => `${PARTITION_ACCOUNT}:role/jit/Shadow`,
    ],
    [
      'passing a brokered role to a service',
      'iam:PassRole',
      () => `${PARTITION_ACCOUNT}:role/jit/BreakGlassAdmin`,
    ],
    [
      'adding a standing member to a managed group',
      'iam:AddUserToGroup',
      () => `${PARTITION_ACCOUNT}:group/jit/jit-operators`,
    ],
    ['widening a managed group', 'iam:PutGroupPolicy', () => `${PARTITION_ACCOUNT}:group/jit/jit-developers`],
    // (c) the audit trail and the requests: no write of any kind, nor their resource policies
    // (a break-glass admin could otherwise move its own grant's end or mark itself reviewed)
    ...[...AUDIT_DESTRUCTIVE_ACTIONS, ...TABLE_WRITES].flatMap((action): [string, string, () => string][] => [
      ['writing the audit trail', action, () => arnOf('AuditTable', 'AWS::DynamoDB::Table')],
      ['writing the requests', action, () => arnOf('RequestsTable', 'AWS::DynamoDB::Table')],
      // A digest edited to drop an event would hide it from the target's answers until verify.
      ['writing the audit digests', action, () => arnOf('AuditDigestsTable', 'AWS::DynamoDB::Table')],
      [
        'writing through a requests index',
        action,
        () => `${arnOf('RequestsTable', 'AWS::DynamoDB::Table')}/index/live-by-end`,
      ],
      [
        'writing through an audit index',
        action,
        () => `${arnOf('AuditTable', 'AWS::DynamoDB::Table')}/index/by-day`,
      ],
    ]),
    // (d) the broker's functions, trigger, queues, secret, schedules and alarms
    [
      'replacing the grant worker code',
      'lambda:UpdateFunctionCode',
      () => functionArn('GrantWorkerFunction'),
    ],
    [
      'repointing a grant worker alias',
      'lambda:UpdateAlias',
      () => `${functionArn('GrantWorkerFunction')}:live`,
    ],
    ['throttling the sweeper to zero', 'lambda:PutFunctionConcurrency', () => functionArn('SweeperFunction')],
    ['deleting the audit API', 'lambda:DeleteFunction', () => functionArn('AuditApiFunction')],
    ...FUNCTIONS.flatMap((fn): [string, string, () => string][] =>
      [
        'lambda:UpdateFunctionCode',
        'lambda:UpdateFunctionConfiguration',
        'lambda:DeleteFunction',
        'lambda:AddPermission',
      ].map((action) => [`changing ${fn}`, action, () => functionArn(fn)]),
    ),
    [
      "reading someone's pending console credentials",
      'dynamodb:GetItem',
      () => arnOf('CredentialsMailboxTable', 'AWS::DynamoDB::Table'),
    ],
    [
      'planting credentials in the console mailbox',
      'dynamodb:UpdateItem',
      () => arnOf('CredentialsMailboxTable', 'AWS::DynamoDB::Table'),
    ],
    ['sending a forged grant job', 'sqs:SendMessage', () => arnOf('GrantQueue', 'AWS::SQS::Queue')],
    ['stealing revoke jobs', 'sqs:ReceiveMessage', () => arnOf('GrantQueue', 'AWS::SQS::Queue')],
    ['purging the dead letters', 'sqs:PurgeQueue', () => arnOf('GrantDeadLetterQueue', 'AWS::SQS::Queue')],
    [
      'reading the Slack bot token',
      'secretsmanager:GetSecretValue',
      () => `<${logicalIdOf('SlackSecret', 'AWS::SecretsManager::Secret')}>`,
    ],
    [
      'replacing the Slack signing secret',
      'secretsmanager:PutSecretValue',
      () => `<${logicalIdOf('SlackSecret', 'AWS::SecretsManager::Secret')}>`,
    ],
    ['stopping the sweeper', 'events:DisableRule', () => arnOf('SweepSchedule', 'AWS::Events::Rule')],
    [
      'silencing the revoke alarm',
      'cloudwatch:DisableAlarmActions',
      () => arnOf('RevokeFailuresAlarm', 'AWS::CloudWatch::Alarm'),
    ],
    [
      'deleting the alarm topic',
      'sns:DeleteTopic',
      () => `<${logicalIdOf('AlarmTopic', 'AWS::SNS::Topic')}>`,
    ],
  ];

  it.each(deniedCases)('denies %s (%s)', (_description, action, resource) => {
    expect(denyingSids(statementsOf('BrokeredRoleBoundaryPolicy'), action, resource())).not.toEqual([]);
  });

  // Invoking directly is denied, through a function URL not: the URL request reaches the
  // handler's own check (Slack signature, IAM caller).
  it.each(FUNCTIONS)('denies invoking %s directly (a forged event), not through a function URL', (fn) => {
    const statements = statementsOf('BrokeredRoleBoundaryPolicy').filter(
      (s) => s.Effect === 'Deny' && matches(s, 'lambda:InvokeFunction', functionArn(fn)),
    );
    expect(statements.map((s) => s.Sid)).toEqual(['DenyInvokingBrokerFunctions']);
    expect(list(statements[0]!.Action).sort()).toEqual(['lambda:InvokeAsync', 'lambda:InvokeFunction']);
    expect(statements[0]!.Condition).toEqual({ BoolIfExists: { 'lambda:InvokedViaFunctionUrl': 'false' } });
  });

  const notDeniedCases: [string, string, () => string][] = [
    [
      'the auditor querying the audit trail',
      'dynamodb:Query',
      () => arnOf('AuditTable', 'AWS::DynamoDB::Table'),
    ],
    [
      'the auditor reading the audit digests (verify scans them)',
      'dynamodb:Scan',
      () => arnOf('AuditDigestsTable', 'AWS::DynamoDB::Table'),
    ],
    [
      'the auditor reading a request',
      'dynamodb:GetItem',
      () => arnOf('RequestsTable', 'AWS::DynamoDB::Table'),
    ],
    [
      'the auditor querying a requests index',
      'dynamodb:Query',
      () => `${arnOf('RequestsTable', 'AWS::DynamoDB::Table')}/index/live-by-end`,
    ],
    [
      'the auditor calling the audit API URL',
      'lambda:InvokeFunctionUrl',
      () => functionArn('AuditApiFunction'),
    ],
    ['reading a brokered role', 'iam:GetRolePolicy', () => `${PARTITION_ACCOUNT}:role/jit/ProdOperator`],
    [
      'operators updating the web app',
      'ecs:UpdateService',
      () => 'arn:aws:ecs:eu-west-1:123456789012:service/web-app/api',
    ],
    [
      'break-glass changing a role outside both paths',
      'iam:PutRolePolicy',
      () => `${PARTITION_ACCOUNT}:role/web-app-deployer`,
    ],
  ];

  it.each(notDeniedCases)('leaves %s to the role policies (%s)', (_description, action, resource) => {
    expect(denyingSids(statementsOf('BrokeredRoleBoundaryPolicy'), action, resource())).toEqual([]);
  });

  // Removing a boundary carries no iam:PermissionsBoundary key and a negated condition on a
  // missing key holds, so the delete actions are denied outright; the permission proof
  // (permissions-proven.test.ts) evaluates that with an IAM policy engine.
  it('denies creating or re-bounding a role or user unless it carries a broker boundary, and removing any boundary', () => {
    const statements = statementsOf('BrokeredRoleBoundaryPolicy');
    const statement = statements.find((s) => s.Sid === 'DenyUnboundedPrincipals')!;
    expect(statement).toMatchObject({
      Effect: 'Deny',
      Action: [
        'iam:CreateRole',
        'iam:CreateUser',
        'iam:PutRolePermissionsBoundary',
        'iam:PutUserPermissionsBoundary',
        'iam:DeleteRolePermissionsBoundary',
        'iam:DeleteUserPermissionsBoundary',
      ],
      Resource: '*',
    });
    const condition = statement.Condition as { StringNotLike: Record<string, unknown> };
    expect(Object.keys(condition)).toEqual(['StringNotLike']);
    expect(render(condition.StringNotLike['iam:PermissionsBoundary'])).toBe(
      `${PARTITION_ACCOUNT}:policy/jit-broker/*`,
    );
  });
});

describe('the broker boundary, facing the brokered-role boundary', () => {
  it.each(['iam:DeleteRolePermissionsBoundary', 'iam:PutRolePermissionsBoundary'])(
    'denies %s on the brokered roles, in the stack account and in the policy role accounts',
    (action) => {
      const statements = statementsOf('BoundaryControlPolicy');
      for (const role of [
        `${PARTITION_ACCOUNT}:role/jit/ProdOperator`,
        'arn:aws:iam::111122223333:role/jit/BreakGlassAdmin',
      ])
        expect(denyingSids(statements, action, role), role).toContain('DenyChangingBoundaries');
    },
  );

  it('denies rewriting the brokered-role boundary (it sits under the broker path)', () => {
    expect(
      denyingSids(
        statementsOf('BoundaryControlPolicy'),
        'iam:CreatePolicyVersion',
        `${PARTITION_ACCOUNT}:policy/jit-broker/BrokeredRoleBoundary`,
      ),
    ).toEqual(['DenyChangingTheBroker']);
  });

  it('gives the data-plane boundary no IAM/STS action and no Identity Center write', () => {
    const allowed = statementsOf('BoundaryPolicy')
      .filter((s) => s.Effect === 'Allow')
      .flatMap((s) => list(s.Action));
    expect(allowed.length).toBeGreaterThan(0);
    expect(allowed.filter((a) => /^(iam|sts):/.test(a))).toEqual([]);
    // Only the reads that name accounts and permission sets for people (the Slack function's).
    const nameReads = new Set([
      'organizations:DescribeAccount',
      'organizations:ListAccountsForParent',
      'organizations:ListChildren',
      'sso:DescribePermissionSet',
    ]);
    expect(allowed.filter((a) => /^(sso|identitystore|organizations):/.test(a) && !nameReads.has(a))).toEqual(
      [],
    );
  });
});

describe('the broker function name prefix', () => {
  it('is the stack name and a dash when the longest function name still fits in 64 characters', () => {
    expect(brokerFunctionNamePrefix('JitAccessBroker')).toBe('JitAccessBroker-');
  });

  it('cuts a long stack name and ends it in a hash, so every function name fits and two long names differ', () => {
    const long = `JitAccessBroker-${'x'.repeat(80)}`;
    const prefix = brokerFunctionNamePrefix(long);
    expect(`${prefix}access-review`.length).toBeLessThanOrEqual(64);
    expect(prefix).toMatch(/^JitAccessBroker-x+-[0-9a-f]{8}-$/);
    expect(brokerFunctionNamePrefix(`${long}y`)).not.toBe(prefix);
  });
});
