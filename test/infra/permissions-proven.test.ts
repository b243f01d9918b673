import { readFileSync } from 'node:fs';
import type { CfnElement } from 'aws-cdk-lib';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAnchorHandler } from '../../functions/audit-anchor/handler.js';
import { createGrantWorkerHandler } from '../../functions/grant-worker/handler.js';
import { createReconcilerHandler } from '../../functions/reconciler/handler.js';
import { createSweeperHandler } from '../../functions/sweeper/handler.js';
import type { BrokerFunctionName } from '../../infra/broker-stack.js';
import { createAwsClients } from '../../shared/adapters/aws/clients.js';
import { KmsDigestSigner } from '../../shared/adapters/aws/kms-digest-signer.js';
import { S3AnchorStore } from '../../shared/adapters/aws/s3-anchor-store.js';
import { SqsGrantQueue } from '../../shared/adapters/aws/sqs-grant-queue.js';
import { DynamoAuditQuery } from '../../shared/adapters/dynamodb/audit-query.js';
import { EXAMPLE_POLICY_PATH } from '../../shared/config/policy-file.js';
import type { GrantJob } from '../../shared/domain/ports.js';
import type { AccessRequest } from '../../shared/domain/request.js';
import { createTargetDrivers } from '../../shared/targets/drivers.js';
import { IamGroupMembership } from '../../shared/targets/group/iam-group-membership.js';
import { IamSessionRevoker } from '../../shared/targets/role/iam-session-revoker.js';
import { StsSessionVendor } from '../../shared/targets/role/sts-session-vendor.js';
import { approveRequest } from '../../shared/usecases/approve-request.js';
import type { GrantDeps } from '../../shared/usecases/grant-deps.js';
import { queryAudit } from '../../shared/usecases/query-audit.js';
import { requesterHistory } from '../../shared/usecases/requester-history.js';
import { submitRequest } from '../../shared/usecases/submit-request.js';
import {
  answerInProcess,
  AwsCallRecorder,
  iamRequestsOf,
  type LocalNames,
  type SdkCall,
} from '../support/aws-call-recorder.js';
import { startAwsStandIn, type AwsStandIn } from '../support/aws-stand-in.js';
import { grantRecord, grantWorld, storeGrants } from '../support/fake-aws.js';
import { fakeWorld, ManualClock, person } from '../support/fakes.js';
import {
  ENVIRONMENT,
  evaluate,
  rolePolicies,
  TemplateResolver,
  type Decision,
  type IamRequest,
  type RolePolicies,
} from '../support/iam-evaluation.js';
import { useLocalTables } from '../support/local-dynamo.js';
import { synthBroker, type SynthResult } from './synth-broker.js';

/**
 * Permissions proven offline: each broker function's real code path runs with real SDK clients
 * (DynamoDB Local, the AWS stand-in), an SDK middleware records every call, and each call is
 * evaluated against that function's role in the synthesized template (its identity policies
 * and its permissions boundary) with @cloud-copilot/iam-simulate. A policy too tight for the
 * code fails here instead of as AccessDenied after deploy.
 */
const db = useLocalTables();
const EXAMPLE_POLICY = readFileSync(EXAMPLE_POLICY_PATH, 'utf8');
const START = '2026-11-27T09:00:00.000Z';
const at = (hhmm: string) => `2026-11-27T${hhmm}:00.000Z`;
const { account } = ENVIRONMENT;
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const lambdaContext = { getRemainingTimeInMillis: () => 50_000 };

let synth: SynthResult;
let resolver: TemplateResolver;
beforeAll(() => {
  synth = synthBroker();
  resolver = new TemplateResolver(synth.json.Resources);
}, 180_000);

/** The logical id of a function's role in the template. */
const roleIdOf = (name: BrokerFunctionName) =>
  synth.stack.getLogicalId(synth.stack.functions[name].role.node.defaultChild as CfnElement);
const logicalId = (prefix: string, type: string) => {
  const found = Object.entries(synth.json.Resources).filter(
    ([id, r]) => r.Type === type && id.startsWith(prefix),
  );
  expect(found, `${type} ${prefix}`).toHaveLength(1);
  return found[0]![0];
};
const policiesOf = (name: BrokerFunctionName) => rolePolicies(resolver, roleIdOf(name));

/**
 * The resource policy IAM evaluates with `request`, when the template holds one: the key
 * policy of a KMS key (KMS requires it to allow), the bucket policy of an S3 bucket, the trust
 * policy of a role an `sts:*` request targets.
 */
function resourcePolicyOf(request: IamRequest): RolePolicies['trust'] {
  const resources = Object.entries(synth.json.Resources);
  if (request.action.startsWith('kms:')) {
    const key = resources.find(
      ([id, r]) => r.Type === 'AWS::KMS::Key' && resolver.arnOf(id) === request.resource,
    );
    return key ? (resolver.value(key[1].Properties?.KeyPolicy) as RolePolicies['trust']) : undefined;
  }
  if (request.action.startsWith('s3:')) {
    const policy = resources.find(
      ([, r]) =>
        r.Type === 'AWS::S3::BucketPolicy' &&
        request.resource.startsWith(`arn:aws:s3:::${resolver.string(r.Properties?.Bucket)}`),
    );
    return policy
      ? (resolver.value(policy[1].Properties?.PolicyDocument) as RolePolicies['trust'])
      : undefined;
  }
  return trustOf(request);
}

/** The trust policy of the template role an `sts:*` request targets, if the template has it. */
function trustOf(request: IamRequest): RolePolicies['trust'] {
  if (!request.action.startsWith('sts:')) return undefined;
  const role = Object.keys(synth.json.Resources).find(
    (id) => synth.json.Resources[id]!.Type === 'AWS::IAM::Role' && resolver.arnOf(id) === request.resource,
  );
  return role ? rolePolicies(resolver, role).trust : undefined;
}

/** One evaluated request, for the report. */
interface Evaluated {
  readonly fn: string;
  readonly scenario: string;
  readonly request: IamRequest;
  readonly decision: Decision;
}
const evaluated: Evaluated[] = [];
const expectedDenials: Evaluated[] = [];

let standIn: AwsStandIn;
let recorder: AwsCallRecorder;
const saved = { ...process.env };
beforeEach(async () => {
  standIn = await startAwsStandIn();
  process.env = { ...saved, ...standIn.env };
  recorder = new AwsCallRecorder();
});
afterEach(async () => {
  process.env = { ...saved };
  await standIn.close();
});

function localNames(): LocalNames {
  return {
    tables: {
      [db().names.requests]: logicalId('RequestsTable', 'AWS::DynamoDB::Table'),
      [db().names.audit]: logicalId('AuditTable', 'AWS::DynamoDB::Table'),
    },
    queues: { [queueUrl()]: logicalId('GrantQueue', 'AWS::SQS::Queue') },
    buckets: { [ANCHOR_BUCKET]: logicalId('AuditAnchorsBucket', 'AWS::S3::Bucket') },
    keys: { [ANCHOR_KEY]: logicalId('AuditAnchorsSigningKey', 'AWS::KMS::Key') },
  };
}

const ANCHOR_BUCKET = 'local-anchors';
const ANCHOR_KEY = 'local-anchor-key';

/** The grant queue as the functions reach it (the stand-in's SQS). */
const queueUrl = () => `${standIn.url}/sqs/${account}/grants`;

/** The grant side as the worker (repairs in process) or the sweeper (repairs queued) is wired, on real clients. */
function world(repairs: 'in-process' | 'queue') {
  const w = grantWorld({
    store: db().requests,
    audit: db().audit,
    clock: new ManualClock(START),
    policyYaml: EXAMPLE_POLICY,
    repairs,
  });
  const clients = createAwsClients({ maxAttempts: 1 });
  recorder.attach(db().client);
  recorder.attach(clients.iam);
  recorder.attach(clients.sts);
  recorder.attach(clients.sqs);
  const deps: GrantDeps = {
    ...w.deps,
    targets: createTargetDrivers({
      groups: new IamGroupMembership(clients.iam),
      sessions: new StsSessionVendor(clients.sts),
      denyList: new IamSessionRevoker(clients.iam, 300),
    }),
  };
  return { ...w, deps };
}

const grant = (fields: Partial<AccessRequest> & { id: string; targetId: string }) =>
  grantRecord({
    requester: 'U0OPS00001',
    principal: 'alice',
    startsAt: at('09:00'),
    endsAt: at('10:00'),
    targetKind: fields.targetId === 'prod-operator' ? 'role' : 'group',
    ...fields,
  });

const sqsEvent = (...jobs: GrantJob[]): SQSEvent =>
  ({
    Records: jobs.map((job, i) => ({
      messageId: `m-${i}`,
      receiptHandle: `rh-${i}`,
      body: JSON.stringify(job),
      attributes: { ApproximateReceiveCount: '1' },
    })),
  }) as unknown as SQSEvent;

/** Evaluates every recorded call against the function's role; returns the requests not allowed. */
async function evaluateCalls(fn: BrokerFunctionName, scenario: string, calls: readonly SdkCall[]) {
  const role = policiesOf(fn);
  const names = localNames();
  const refused: string[] = [];
  for (const call of calls) {
    for (const request of iamRequestsOf(call, resolver, names)) {
      const decision = await evaluate(role, request, resourcePolicyOf(request));
      evaluated.push({ fn, scenario, request, decision });
      if (decision !== 'Allowed') refused.push(`${request.action} ${request.resource}: ${decision}`);
    }
  }
  return refused;
}

const operations = (calls: readonly SdkCall[]) => [...new Set(calls.map((c) => c.operation))].sort();

describe('permissions proven offline: every AWS call a function makes is allowed to its role', () => {
  it('grant worker: activates a group grant (AddUserToGroup) and a role grant, mints a session (AssumeRole with SourceIdentity and tags)', async () => {
    const w = world('in-process');
    await storeGrants(w, [
      grant({ id: 'g-dev', targetId: 'developers', status: 'APPROVED' }),
      grant({ id: 'r-prod', targetId: 'prod-operator', status: 'APPROVED' }),
    ]);
    const run = createGrantWorkerHandler({ deps: w.deps, maxAttempts: 3, logger: quiet });
    const { value, calls } = await recorder.during(async () => {
      const activated = await run(
        sqsEvent({ kind: 'activate', requestId: 'g-dev' }, { kind: 'activate', requestId: 'r-prod' }),
      );
      const issued = await run(
        sqsEvent({
          kind: 'issue-credentials',
          requestId: 'r-prod',
          requester: 'U0OPS00001',
          replyTo: 'view-1',
        }),
      );
      return [activated, issued];
    });
    expect(value.flatMap((v) => v.batchItemFailures)).toEqual([]);
    expect(standIn.isMember('jit-developers', 'alice')).toBe(true);
    expect(operations(calls)).toEqual(
      expect.arrayContaining(['AddUserToGroup', 'AssumeRole', 'TransactWriteItems']),
    );
    const assume = calls.find((c) => c.operation === 'AssumeRole');
    expect(assume?.input.SourceIdentity).toBe('alice');
    expect(await evaluateCalls('grant-worker', 'activate + credentials', calls)).toEqual([]);
  });

  it('grant worker: early revokes of a group grant (RemoveUserFromGroup) and a role grant (the inline deny list)', async () => {
    const w = world('in-process');
    await storeGrants(w, [
      grant({ id: 'g-dev', targetId: 'developers', status: 'ACTIVE' }),
      grant({ id: 'r-prod', targetId: 'prod-operator', status: 'ACTIVE' }),
    ]);
    standIn.state.groups.set('jit-developers', new Set(['alice']));
    const run = createGrantWorkerHandler({ deps: w.deps, maxAttempts: 3, logger: quiet });
    const { value, calls } = await recorder.during(() =>
      run(
        sqsEvent(
          { kind: 'revoke', requestId: 'g-dev', actor: 'U0SEC00001', reason: 'done' },
          { kind: 'revoke', requestId: 'r-prod', actor: 'U0SEC00001', reason: 'done' },
        ),
      ),
    );
    expect(value.batchItemFailures).toEqual([]);
    expect(standIn.isMember('jit-developers', 'alice')).toBe(false);
    expect(operations(calls)).toEqual(expect.arrayContaining(['RemoveUserFromGroup', 'PutRolePolicy']));
    expect(await evaluateCalls('grant-worker', 'early revoke', calls)).toEqual([]);
  });

  it('sweeper: expires a group grant (RemoveUserFromGroup) and a role grant', async () => {
    const w = world('queue');
    await storeGrants(w, [
      grant({ id: 'g-dev', targetId: 'developers', status: 'ACTIVE' }),
      grant({ id: 'r-prod', targetId: 'prod-operator', status: 'ACTIVE' }),
    ]);
    standIn.state.groups.set('jit-developers', new Set(['alice']));
    w.clock.set(at('10:01'));
    const run = createSweeperHandler({
      deps: w.deps,
      requestDeps: fakeWorld().deps,
      concurrency: 2,
      logger: quiet,
    });
    const { value, calls } = await recorder.during(() => run({}, lambdaContext));
    expect(value.sweep).toMatchObject({ ended: 2, failed: 0 });
    expect(operations(calls)).toEqual(expect.arrayContaining(['RemoveUserFromGroup', 'Query']));
    expect(await evaluateCalls('sweeper', 'expiry', calls)).toEqual([]);
  });

  it('reconciler: reads the managed groups (GetGroup) and reports a standing member', async () => {
    const w = world('queue');
    standIn.state.groups.set('jit-developers', new Set(['mallory']));
    const run = createReconcilerHandler({ deps: w.deps, remove: false, logger: quiet });
    const { value, calls } = await recorder.during(() => run());
    expect(value.findings.map((f) => f.member)).toEqual(['mallory']);
    expect(operations(calls)).toEqual(expect.arrayContaining(['GetGroup']));
    expect(await evaluateCalls('reconciler', 'report drift', calls)).toEqual([]);
  });
});

describe('permissions proven offline: the Slack function and the audit API', () => {
  it('slack: a request, its approval with the requester history, and the job handed to the worker (SendMessage)', async () => {
    const clients = createAwsClients({ maxAttempts: 1 });
    recorder.attach(db().client);
    recorder.attach(clients.sqs);
    const clock = new ManualClock(START);
    const deps = {
      ...fakeWorld(EXAMPLE_POLICY).deps,
      store: db().requests,
      audit: db().audit,
      clock,
      queue: new SqsGrantQueue(clients.sqs, queueUrl()),
    };
    const reader = { reader: new DynamoAuditQuery(db().doc, db().names.audit), clock };
    const { calls } = await recorder.during(async () => {
      const submitted = await submitRequest(deps, {
        requester: person('U0DEV00001', ['S0DEVTEAM1']),
        principal: 'alice',
        targetId: 'developers',
        reason: 'deploy the fix',
      });
      if (submitted.outcome !== 'pending') throw new Error(`not pending: ${submitted.outcome}`);
      await requesterHistory(reader, submitted.request);
      return approveRequest(deps, { requestId: submitted.request.id, approver: person('U0LEAD0001') });
    });
    expect(standIn.state.sqsMessages).toHaveLength(1);
    expect(operations(calls)).toEqual(expect.arrayContaining(['Query', 'SendMessage', 'TransactWriteItems']));
    expect(await evaluateCalls('slack', 'request + approval', calls)).toEqual([]);
  });

  it('audit API: an auditor query over the audit indexes', async () => {
    recorder.attach(db().client);
    const reader = {
      reader: new DynamoAuditQuery(db().doc, db().names.audit),
      clock: new ManualClock(START),
    };
    const { calls } = await recorder.during(async () => {
      await queryAudit(reader, { person: 'U0DEV00001', limit: 10 });
      await queryAudit(reader, { target: 'developers', limit: 10 });
      return queryAudit(reader, { from: '2026-11-26T00:00:00.000Z', to: START, limit: 10 });
    });
    expect(operations(calls)).toEqual(['Query']);
    expect(await evaluateCalls('audit-api', 'queries', calls)).toEqual([]);
  });
});

describe('permissions proven offline: the audit anchor', () => {
  it('audit anchor: reads the chain heads, lists the anchors, signs (KMS Sign) and stores (S3 PutObject)', async () => {
    await db().audit.append({
      type: 'request.approved',
      at: START,
      actor: 'U0LEAD0001',
      subject: 'U0DEV00001',
      targetId: 'developers',
      requestId: 'req-1',
      toStatus: 'APPROVED',
      breakGlass: false,
    });
    recorder.attach(db().client);
    // No S3 or KMS stand-in: the calls are recorded, then answered in process (never sent).
    const s3 = answerInProcess(recorder.attach(new S3Client({ region: 'us-east-1' })), {
      ListObjectsV2: { Contents: [] },
      PutObject: {},
    });
    const kms = answerInProcess(recorder.attach(new KMSClient({ region: 'us-east-1' })), {
      Sign: { Signature: new Uint8Array([1, 2, 3]), KeyId: ANCHOR_KEY },
    });
    const clock = new ManualClock(START);
    const run = createAnchorHandler({
      chains: new DynamoAuditQuery(db().doc, db().names.audit),
      signer: new KmsDigestSigner(kms, ANCHOR_KEY),
      store: new S3AnchorStore(s3, { bucket: ANCHOR_BUCKET, now: () => clock.now() }),
      clock,
      table: db().names.audit,
      logger: quiet,
      metrics: { count: () => undefined },
    });
    const { value, calls } = await recorder.during(() => run({}));
    expect(value.status).toBe('anchored');
    expect(operations(calls)).toEqual(expect.arrayContaining(['ListObjectsV2', 'PutObject', 'Sign']));
    expect(await evaluateCalls('audit-anchor', 'anchor heads', calls)).toEqual([]);
  });
});

/** Requests IAM must refuse, whatever the code does: role, action and resource. */
function mustBeDenied(): { fn: BrokerFunctionName; why: string; request: IamRequest }[] {
  const auditTable = resolver.arnOf(logicalId('AuditTable', 'AWS::DynamoDB::Table'));
  const jitGroup = resolver.arnOf(logicalId('WebAppIamBaselineDevelopersGroup', 'AWS::IAM::Group'));
  const outsideGroup = `arn:aws:iam::${account}:group/Admins`;
  const outsideRole = `arn:aws:iam::${account}:role/OrganizationAccountAccessRole`;
  const ownRole = resolver.arnOf(roleIdOf('grant-worker'));
  const sweeperRole = resolver.arnOf(roleIdOf('sweeper'));
  const rows: { fn: BrokerFunctionName; why: string; request: IamRequest }[] = [
    {
      fn: 'sweeper',
      why: 'the sweeper only takes access away',
      request: { action: 'iam:AddUserToGroup', resource: jitGroup },
    },
    {
      fn: 'reconciler',
      why: 'the reconciler never adds',
      request: { action: 'iam:AddUserToGroup', resource: jitGroup },
    },
    {
      fn: 'slack',
      why: 'the Slack function never calls IAM',
      request: { action: 'iam:AddUserToGroup', resource: jitGroup },
    },
  ];
  for (const fn of ['grant-worker', 'sweeper', 'reconciler'] as const) {
    rows.push(
      { fn, why: 'a group outside /jit/', request: { action: 'iam:AddUserToGroup', resource: outsideGroup } },
      {
        fn,
        why: 'a group outside /jit/',
        request: { action: 'iam:RemoveUserFromGroup', resource: outsideGroup },
      },
      { fn, why: 'a role outside /jit/', request: { action: 'iam:PutRolePolicy', resource: outsideRole } },
      { fn, why: 'a role outside /jit/', request: { action: 'sts:AssumeRole', resource: outsideRole } },
    );
  }
  for (const fn of ['slack', 'grant-worker', 'sweeper', 'reconciler', 'audit-api'] as const) {
    rows.push({
      fn,
      why: 'audit items are never deleted',
      request: { action: 'dynamodb:DeleteItem', resource: auditTable },
    });
    rows.push({
      fn,
      why: 'audit items are written only in an append transaction',
      request: { action: 'dynamodb:PutItem', resource: auditTable },
    });
  }
  for (const action of [
    'iam:PutRolePolicy',
    'iam:AttachRolePolicy',
    'iam:UpdateAssumeRolePolicy',
    'iam:DeleteRolePermissionsBoundary',
  ]) {
    rows.push({ fn: 'grant-worker', why: "the broker's own roles", request: { action, resource: ownRole } });
    rows.push({
      fn: 'grant-worker',
      why: "the broker's own roles",
      request: { action, resource: sweeperRole },
    });
  }
  return rows;
}

describe('permissions proven offline: what must be denied is denied', () => {
  it('denies every row of the table to the function role', async () => {
    const allowed: string[] = [];
    for (const row of mustBeDenied()) {
      const decision = await evaluate(policiesOf(row.fn), row.request);
      expectedDenials.push({ fn: row.fn, scenario: row.why, request: row.request, decision });
      if (decision === 'Allowed')
        allowed.push(`${row.fn} ${row.request.action} ${row.request.resource} (${row.why})`);
    }
    expect(allowed).toEqual([]);
  });

  it('the brokered-role boundary caps even BreakGlassAdmin (AdministratorAccess)', async () => {
    const admin = rolePolicies(resolver, logicalId('WebAppIamBaselineBreakGlassAdminRole', 'AWS::IAM::Role'));
    expect(admin.boundary?.name).toMatch(/^BrokeredRoleBoundaryPolicy/);
    const auditTable = resolver.arnOf(logicalId('AuditTable', 'AWS::DynamoDB::Table'));
    const denied: IamRequest[] = [
      { action: 'iam:PutRolePolicy', resource: resolver.arnOf(roleIdOf('grant-worker')) },
      {
        action: 'iam:AddUserToGroup',
        resource: resolver.arnOf(logicalId('WebAppIamBaselineDevelopersGroup', 'AWS::IAM::Group')),
      },
      { action: 'iam:DeleteRolePermissionsBoundary', resource: admin.arn },
      { action: 'dynamodb:DeleteItem', resource: auditTable },
    ];
    const still: IamRequest[] = [
      { action: 'ecs:UpdateService', resource: `arn:aws:ecs:us-east-1:${account}:service/web-app/api` },
      { action: 's3:GetObject', resource: 'arn:aws:s3:::web-app-assets/index.html' },
    ];
    for (const request of denied) {
      const decision = await evaluate(admin, request);
      expectedDenials.push({ fn: 'BreakGlassAdmin', scenario: 'brokered-role boundary', request, decision });
      expect(decision, `${request.action} ${request.resource}`).not.toBe('Allowed');
    }
    for (const request of still) {
      const decision = await evaluate(admin, request);
      evaluated.push({ fn: 'BreakGlassAdmin', scenario: 'brokered-role boundary', request, decision });
      expect(decision, `${request.action} ${request.resource}`).toBe('Allowed');
    }
  });
});

describe('permissions proven offline: the evaluation catches a missing statement', () => {
  it('with the worker’s AddUserToGroup statement removed, the recorded activation is denied', async () => {
    const w = world('in-process');
    await storeGrants(w, [grant({ id: 'g-dev', targetId: 'developers', status: 'APPROVED' })]);
    const run = createGrantWorkerHandler({ deps: w.deps, maxAttempts: 3, logger: quiet });
    const { calls } = await recorder.during(() => run(sqsEvent({ kind: 'activate', requestId: 'g-dev' })));
    const role = policiesOf('grant-worker');
    const without: RolePolicies = {
      ...role,
      identity: role.identity.map((p) => ({
        ...p,
        policy: {
          ...p.policy,
          Statement: p.policy.Statement.filter((s) => ![s.Action].flat().includes('iam:AddUserToGroup')),
        },
      })),
    };
    const add = calls
      .flatMap((c) => iamRequestsOf(c, resolver, localNames()))
      .find((r) => r.action === 'iam:AddUserToGroup');
    expect(add).toBeDefined();
    expect(await evaluate(role, add!)).toBe('Allowed');
    expect(await evaluate(without, add!)).toBe('ImplicitlyDenied');
  });
});

afterAll(() => {
  const allowed = evaluated.filter((e) => e.decision === 'Allowed').length;
  const denied = expectedDenials.filter((e) => e.decision !== 'Allowed').length;
  const byFn = [...new Set(evaluated.map((e) => e.fn))]
    .map((fn) => `${fn} ${evaluated.filter((e) => e.fn === fn).length}`)
    .join(', ');
  console.log(
    `[permissions] ${evaluated.length} calls evaluated (${byFn}), ${allowed} allowed; ` +
      `${expectedDenials.length} expected denials, ${denied} denied`,
  );
});
