import { readFileSync } from 'node:fs';
import { App, type CfnElement } from 'aws-cdk-lib';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { marshall } from '@aws-sdk/util-dynamodb';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { createArchiveHandler } from '../../functions/audit-archive/handler.js';
import { createAccessReviewHandler } from '../../functions/access-review/handler.js';
import { CloudTrailActivityLookup } from '../../shared/adapters/aws/cloudtrail-activity.js';
import { S3ReviewStore } from '../../shared/adapters/aws/s3-review-store.js';
import { DynamoPolicyVersions, policyVersionKey } from '../../shared/adapters/dynamodb/policy-versions.js';
import { DynamoReviewMarkers, reviewMarkerKey } from '../../shared/adapters/dynamodb/review-markers.js';
import {
  ACTIVITY_WATERMARK_KEY,
  DynamoSweepWatermarks,
} from '../../shared/adapters/dynamodb/sweep-watermarks.js';
import { TokenBucket } from '../../shared/domain/activity.js';
import { policyVersionOf } from '../../shared/domain/provenance.js';
import type { ReviewPoster } from '../../shared/domain/review-delivery.js';
import { roleSessionOf } from '../../shared/targets/role/activity-session.js';
import { keptPolicyVersion } from '../../shared/usecases/policy-provenance.js';
import { createConsoleApiHandler } from '../../functions/console-api/handler.js';
import { apiCallerDirectory } from '../../functions/request-api/caller-directory.js';
import { createRequestApiHandler, type RequestApiEvent } from '../../functions/request-api/handler.js';
import { EventBridgeForwarder } from '../../shared/adapters/aws/eventbridge-forwarder.js';
import { S3ArchiveStore } from '../../shared/adapters/aws/s3-archive-store.js';
import { auditEventToItem } from '../../shared/adapters/dynamodb/audit-log.js';
import { routeCredentials } from '../../shared/adapters/credentials-mailbox.js';
import { DynamoCredentialsMailbox } from '../../shared/adapters/dynamodb/credentials-mailbox.js';
import { CREDENTIALS_MAILBOX_TABLE, createTableInput } from '../../shared/adapters/dynamodb/tables.js';
import { parsePolicy } from '../../shared/domain/policy-text.js';
import { TARGET_KINDS } from '../../shared/targets/kinds.js';
import type { RequestDeps } from '../../shared/usecases/deps.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAnchorHandler } from '../../functions/audit-anchor/handler.js';
import { createReconcilerHandler } from '../../functions/reconciler/handler.js';
import { AgentRoleStack } from '../../infra/agent-role-stack.js';
import { BROKER_FUNCTIONS, type BrokerFunctionName } from '../../infra/broker-stack.js';
import { createAwsClients, createIamClient } from '../../shared/adapters/aws/clients.js';
import { IdentityCenterUsers } from '../../shared/adapters/aws/identity-center-users.js';
import { KmsDigestSigner } from '../../shared/adapters/aws/kms-digest-signer.js';
import { S3AnchorStore } from '../../shared/adapters/aws/s3-anchor-store.js';
import { SqsGrantQueue } from '../../shared/adapters/aws/sqs-grant-queue.js';
import { DynamoAuditQuery } from '../../shared/adapters/dynamodb/audit-query.js';
import { EXAMPLE_POLICY_PATH } from '../../shared/config/policy-file.js';
import type { GrantJob } from '../../shared/domain/ports.js';
import type { AccessRequest } from '../../shared/domain/request.js';
import { DEFAULT_AGENT_ROLE_NAME } from '../../shared/targets/group/kind.js';
import { agentRoleGroups } from '../../shared/targets/group/member-account-groups.js';
import { IdentityStoreGroupMembership } from '../../shared/targets/identity-center-group/identity-store-membership.js';
import { permissionSetAccountDirectory } from '../../shared/targets/permission-set/account-directory.js';
import { permissionSetAdapters } from '../../shared/targets/permission-set/adapters.js';
import { approveRequest } from '../../shared/usecases/approve-request.js';
import { queryAudit } from '../../shared/usecases/query-audit.js';
import { verifyAudit } from '../../shared/usecases/verify-audit.js';
import { requesterHistory } from '../../shared/usecases/requester-history.js';
import { submitRequest } from '../../shared/usecases/submit-request.js';
import {
  answerInProcess,
  AwsCallRecorder,
  iamRequestsOf,
  membershipsSeen,
  type LocalNames,
  type SdkCall,
} from '../support/aws-call-recorder.js';
import { assignmentKey, startAwsStandIn, type AwsStandIn } from '../support/aws-stand-in.js';
import { grantRecord, storeGrants } from '../support/fake-aws.js';
import { fakeWorld, ManualClock, person, staticPolicy } from '../support/fakes.js';
import {
  ENVIRONMENT,
  evaluate,
  rolePolicies,
  TemplateResolver,
  type IamRequest,
  type RolePolicies,
} from '../support/iam-evaluation.js';
import { useLocalTables } from '../support/local-dynamo.js';
import {
  approval,
  at,
  auditorsReader,
  digestedDay,
  digestsOf,
  ProofTally,
  quiet,
  recordedGrantWorld,
  START,
  sweeperOn,
  workerOn,
  type DenialRow,
} from './permissions-proof.js';
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
const { account } = ENVIRONMENT;

let synth: SynthResult;
let resolver: TemplateResolver;
beforeAll(() => {
  synth = synthBroker();
  resolver = new TemplateResolver(synth.json.Resources);
}, 180_000);

/** A synthesized broker template the calls are evaluated against (default: the example policy's). */
interface Under {
  readonly synth: SynthResult;
  readonly resolver: TemplateResolver;
}
const main = (): Under => ({ synth, resolver });

/** The logical id of a function's role in the template. */
const roleIdOf = (name: BrokerFunctionName, { synth } = main()) =>
  synth.stack.getLogicalId(synth.stack.functions[name].role.node.defaultChild as CfnElement);
const logicalId = (prefix: string, type: string, { synth } = main()) => {
  const found = Object.entries(synth.json.Resources).filter(
    ([id, r]) => r.Type === type && id.startsWith(prefix),
  );
  expect(found, `${type} ${prefix}`).toHaveLength(1);
  return found[0]![0];
};
const policiesOf = (name: BrokerFunctionName, under = main()) =>
  rolePolicies(under.resolver, roleIdOf(name, under));

/**
 * The resource policy IAM evaluates with `request`, when the template holds one: the key
 * policy of a KMS key (KMS requires it to allow), the bucket policy of an S3 bucket, the trust
 * policy of a role an `sts:*` request targets.
 */
function resourcePolicyOf(request: IamRequest, { synth, resolver } = main()): RolePolicies['trust'] {
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
  return trustOf(request, { synth, resolver });
}

/** The trust policy of the template role an `sts:*` request targets, if the template has it. */
function trustOf(request: IamRequest, { synth, resolver } = main()): RolePolicies['trust'] {
  if (!request.action.startsWith('sts:')) return undefined;
  const role = Object.keys(synth.json.Resources).find(
    (id) => synth.json.Resources[id]!.Type === 'AWS::IAM::Role' && resolver.arnOf(id) === request.resource,
  );
  return role ? rolePolicies(resolver, role).trust : undefined;
}

const tally = new ProofTally();

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

function localNames(under = main()): LocalNames {
  return {
    tables: {
      [db().names.requests]: logicalId('RequestsTable', 'AWS::DynamoDB::Table', under),
      [db().names.audit]: logicalId('AuditTable', 'AWS::DynamoDB::Table', under),
      [db().names.auditDigests as string]: logicalId('AuditDigestsTable', 'AWS::DynamoDB::Table', under),
      [`${db().names.requests}${MAILBOX_SUFFIX}`]: logicalId(
        'CredentialsMailboxTable',
        'AWS::DynamoDB::Table',
        under,
      ),
    },
    queues: { [queueUrl()]: logicalId('GrantQueue', 'AWS::SQS::Queue', under) },
    buckets: {
      [ANCHOR_BUCKET]: logicalId('AuditAnchorsBucket', 'AWS::S3::Bucket', under),
      [ARCHIVE_BUCKET]: logicalId('ArchiveBucket', 'AWS::S3::Bucket', under),
    },
    keys: { [ANCHOR_KEY]: logicalId('AuditAnchorsSigningKey', 'AWS::KMS::Key', under) },
  };
}

/** The console's credentials mailbox table of a test: created on first use, dropped after it. */
const MAILBOX_SUFFIX = '-mailbox';
let mailboxCreated: { name: string; drop: () => Promise<unknown> } | undefined;
async function mailboxTable(): Promise<string> {
  const name = `${db().names.requests}${MAILBOX_SUFFIX}`;
  if (mailboxCreated?.name !== name) {
    const { client } = db();
    await client.send(new CreateTableCommand(createTableInput(CREDENTIALS_MAILBOX_TABLE, name)));
    mailboxCreated = { name, drop: () => client.send(new DeleteTableCommand({ TableName: name })) };
  }
  return name;
}
afterEach(async () => {
  await mailboxCreated?.drop();
  mailboxCreated = undefined;
});

const ANCHOR_BUCKET = 'local-anchors';
const ANCHOR_KEY = 'local-anchor-key';
const ARCHIVE_BUCKET = 'local-archive';

/** The grant queue as the functions reach it (the stand-in's SQS). */
const queueUrl = () => `${standIn.url}/sqs/${account}/grants`;

/** The grant side as the worker (repairs in process) or the sweeper (repairs queued) is wired, on real clients. */
const world = (repairs: 'in-process' | 'queue') =>
  recordedGrantWorld(recorder, db(), { policyYaml: EXAMPLE_POLICY, repairs });

const grant = (fields: Partial<AccessRequest> & { id: string; targetId: string }) =>
  grantRecord({
    requester: 'U0OPS00001',
    principal: 'alice',
    startsAt: at('09:00'),
    endsAt: at('10:00'),
    targetKind: fields.targetId === 'prod-operator' ? 'role' : 'group',
    ...fields,
  });

/**
 * Evaluates every recorded call against the function's role; returns the requests not allowed.
 * `options` evaluates against another template, another role (a member account's agent role)
 * or with more local names and resource policies (the agent role's trust).
 */
async function evaluateCalls(
  fn: BrokerFunctionName | 'agent-role',
  scenario: string,
  calls: readonly SdkCall[],
  options: {
    readonly under?: Under;
    readonly role?: RolePolicies;
    readonly names?: Partial<LocalNames>;
    readonly resourcePolicy?: (request: IamRequest) => RolePolicies['trust'];
  } = {},
) {
  const under = options.under ?? main();
  const role = options.role ?? policiesOf(fn as BrokerFunctionName, under);
  const names = { ...localNames(under), memberships: membershipsSeen(calls), ...options.names };
  const refused: string[] = [];
  for (const call of calls) {
    for (const request of iamRequestsOf(call, under.resolver, names)) {
      const policy = options.resourcePolicy?.(request) ?? resourcePolicyOf(request, under);
      const decision = await evaluate(role, request, policy);
      tally.evaluated.push({ fn, scenario, request, decision });
      if (decision !== 'Allowed') refused.push(`${request.action} ${request.resource}: ${decision}`);
    }
  }
  return refused;
}

const operations = (calls: readonly SdkCall[]) => [...new Set(calls.map((c) => c.operation))].sort();

/** The partition keys of the policy versions the calls wrote (in a transaction or alone). */
const keptVersions = (calls: readonly SdkCall[]) =>
  calls
    .flatMap((c) =>
      c.operation === 'TransactWriteItems'
        ? ((c.input.TransactItems ?? []) as { Put?: { Item: { chain: string } } }[]).map((i) => i.Put?.Item)
        : [c.input.Item as { chain: string } | undefined],
    )
    .map((item) => item?.chain)
    .filter((chain): chain is string => chain?.startsWith('policy#') === true);

describe('permissions proven offline: every AWS call a function makes is allowed to its role', () => {
  it('grant worker: activates a group grant (AddUserToGroup) and a role grant, mints a session (AssumeRole with SourceIdentity and tags)', async () => {
    const w = world('in-process');
    await storeGrants(w, [
      grant({ id: 'g-dev', targetId: 'developers', status: 'APPROVED' }),
      grant({ id: 'r-prod', targetId: 'prod-operator', status: 'APPROVED' }),
    ]);
    const run = workerOn(w.deps);
    const { value, calls } = await recorder.during(async () => [
      await run({ kind: 'activate', requestId: 'g-dev' }, { kind: 'activate', requestId: 'r-prod' }),
      await run({
        kind: 'issue-credentials',
        requestId: 'r-prod',
        requester: 'U0OPS00001',
        replyTo: 'view-1',
      }),
    ]);
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
    const run = workerOn(w.deps);
    const { value, calls } = await recorder.during(() =>
      run(
        { kind: 'revoke', requestId: 'g-dev', actor: 'U0SEC00001', reason: 'done' },
        { kind: 'revoke', requestId: 'r-prod', actor: 'U0SEC00001', reason: 'done' },
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
    const { value, calls } = await recorder.during(sweeperOn(w));
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
      // As requestPorts wires every front door: the first decision keeps the policy version in force.
      provenance: keptPolicyVersion(
        new DynamoPolicyVersions(db().doc, db().names.audit, clock),
        policyVersionOf(EXAMPLE_POLICY),
      ),
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
    expect(keptVersions(calls)).toEqual([policyVersionKey(policyVersionOf(EXAMPLE_POLICY).sha256).chain]);
    expect(await evaluateCalls('slack', 'request + approval + policy version kept', calls)).toEqual([]);
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

  it('audit API: a target’s answer read through the digests (GetItem, Query) and verify checking them (Scan)', async () => {
    await digestedDay(db(), '2026-11-26');
    recorder.attach(db().client);
    const reader = auditorsReader(db());
    const clock = new ManualClock(START);
    const { value, calls } = await recorder.during(async () => ({
      page: await queryAudit({ reader, clock }, { target: 'developers', limit: 10 }),
      verified: await verifyAudit({
        chains: reader,
        clock,
        digests: { store: digestsOf(db()), trail: reader },
      }),
    }));
    expect(value.page.items.map((e) => e.at)).toEqual(['2026-11-26T09:00:00.000Z']);
    expect(value.verified).toMatchObject({ ok: true, digests: { verified: 1, findings: [] } });
    const onDigests = calls.filter((c) => c.input.TableName === db().names.auditDigests);
    expect(operations(onDigests)).toEqual(['GetItem', 'Query', 'Scan']);
    expect(await evaluateCalls('audit-api', 'queries and verify through the digests', calls)).toEqual([]);
  });
});

describe('permissions proven offline: the audit anchor', () => {
  it('audit anchor: reads the chain heads, lists the anchors, signs (KMS Sign) and stores (S3 PutObject); then digests the closed day (by-day Query, digests GetItem and PutItem)', async () => {
    await db().audit.append(approval({ at: START, targetId: 'developers' }));
    recorder.attach(db().client);
    // No S3 or KMS stand-in: the calls are recorded, then answered in process (never sent).
    const s3 = answerInProcess(recorder.attach(new S3Client({ region: 'us-east-1' })), {
      ListObjectsV2: { Contents: [] },
      PutObject: {},
    });
    const kms = answerInProcess(recorder.attach(new KMSClient({ region: 'us-east-1' })), {
      Sign: { Signature: new Uint8Array([1, 2, 3]), KeyId: ANCHOR_KEY },
    });
    // The next day, past the hour START's day takes to close: the run anchors, then digests it.
    const clock = new ManualClock('2026-11-28T02:00:00.000Z');
    const trail = new DynamoAuditQuery(db().doc, db().names.audit);
    const run = createAnchorHandler(
      {
        chains: trail,
        signer: new KmsDigestSigner(kms, ANCHOR_KEY),
        store: new S3AnchorStore(s3, { bucket: ANCHOR_BUCKET, now: () => clock.now() }),
        clock,
        table: db().names.audit,
        logger: quiet,
        metrics: { count: () => undefined },
      },
      {
        trail,
        digests: digestsOf(db()),
        clock,
        logger: quiet,
        metrics: { count: () => undefined },
        firstDay: START.slice(0, 10),
      },
    );
    const { value, calls } = await recorder.during(() => run({}));
    expect(value.status).toBe('anchored');
    expect(value.digest).toMatchObject({ status: 'digested', days: [START.slice(0, 10)] });
    expect(operations(calls)).toEqual(
      expect.arrayContaining(['GetItem', 'ListObjectsV2', 'PutItem', 'PutObject', 'Query', 'Sign']),
    );
    const digestCalls = calls.filter((c) => c.input.TableName === db().names.auditDigests);
    expect(operations(digestCalls)).toEqual(['GetItem', 'PutItem']);
    expect(calls.filter((c) => c.operation === 'Query').map((c) => c.input.IndexName)).toEqual(
      expect.arrayContaining(['by-day']),
    );
    expect(await evaluateCalls('audit-anchor', 'anchor heads + digest a day', calls)).toEqual([]);
  });
});

describe('permissions proven offline: the access review and the sweeper’s activity lookups', () => {
  it('access review: claims the period’s marker, reads the audit trail, writes the CSV under reviews/ (S3 PutObject) and posts it', async () => {
    await db().audit.append(approval({ at: '2026-11-18T09:00:00.000Z', targetId: 'developers' }));
    recorder.attach(db().client);
    // No S3 stand-in: the calls are recorded, then answered in process (never sent).
    const s3 = answerInProcess(recorder.attach(new S3Client({ region: ENVIRONMENT.region })), {
      PutObject: {},
    });
    const posted: Parameters<ReviewPoster['post']>[0][] = [];
    const run = createAccessReviewHandler(
      {
        reader: new DynamoAuditQuery(db().doc, db().names.audit),
        clock: new ManualClock(START),
        store: new S3ReviewStore(s3, ARCHIVE_BUCKET),
        // Slack is no AWS call: the post is kept to show the path ran to its end.
        poster: { post: (message) => Promise.resolve(void posted.push(message)) },
        markers: new DynamoReviewMarkers(db().doc, db().names.audit),
        channel: 'C0SECURITY',
        logger: quiet,
      },
      7,
    );
    const { value, calls } = await recorder.during(() => run({}));
    expect(value.status).toBe('delivered');
    expect(posted).toHaveLength(1);
    expect(operations(calls)).toEqual(expect.arrayContaining(['PutObject', 'Query', 'TransactWriteItems']));
    const put = calls.find((c) => c.operation === 'PutObject');
    expect(String(put?.input.Key)).toMatch(/^reviews\//);
    expect(await evaluateCalls('access-review', 'deliver a period', calls)).toEqual([]);
  });

  it('sweeper: summarises an ended role grant’s activity (CloudTrail LookupEvents, aws:RequestedRegion the configured Region)', async () => {
    const w = world('queue');
    await storeGrants(w, [grant({ id: 'r-prod', targetId: 'prod-operator', status: 'ACTIVE' })]);
    w.clock.set(at('10:01'));
    const cloudTrail = answerInProcess(
      recorder.attach(new CloudTrailClient({ region: ENVIRONMENT.region })),
      { LookupEvents: { Events: [] } },
    );
    const run = sweeperOn(w, {
      deps: {
        store: db().requests,
        audit: db().audit,
        reader: new DynamoAuditQuery(db().doc, db().names.audit),
        lookup: new CloudTrailActivityLookup(() => cloudTrail),
        budget: new TokenBucket(2),
        clock: w.clock,
        sleep: (ms) => Promise.resolve(w.clock.advance(ms / 1000)),
        events: w.deps.events,
        sessionOf: roleSessionOf(w.deps.policy),
        regions: [ENVIRONMENT.region],
        watermarks: new DynamoSweepWatermarks(db().doc, db().names.audit),
      },
      options: { lookbackDays: 1, settleSeconds: 0 },
      share: 0.5,
      budgetMs: 0,
    });
    const { value, calls } = await recorder.during(run);
    expect(value.activity).toMatchObject({ summarised: 1, failed: 0 });
    const lookups = calls
      .filter((c) => c.operation === 'LookupEvents')
      .flatMap((c) => iamRequestsOf(c, resolver, localNames()));
    expect(lookups).toEqual([
      {
        action: 'cloudtrail:LookupEvents',
        resource: '*',
        context: { 'aws:RequestedRegion': ENVIRONMENT.region },
      },
    ]);
    // The watermark (read, then moved in a single-item transaction) is among the calls proven.
    const watermarkCalls = calls.filter((c) =>
      JSON.stringify(c.input).includes(ACTIVITY_WATERMARK_KEY.chain),
    );
    expect(watermarkCalls.map((c) => c.operation)).toEqual(['GetItem', 'TransactWriteItems']);
    expect(await evaluateCalls('sweeper', 'activity summary', calls)).toEqual([]);
  });
});

describe('permissions proven offline: the recorder names transactions as IAM does', () => {
  /** A policy version's put on the audit table, alone or as the single item of a transaction. */
  const put = (table: string) => ({
    TableName: table,
    Item: { ...policyVersionKey('0'.repeat(64)), sha256: '0'.repeat(64) },
  });

  it('a lone PutItem on the audit table carries no dynamodb:EnclosingOperation and is denied; the same put in TransactWriteItems is allowed', async () => {
    const names = localNames();
    const alone = iamRequestsOf(
      { client: 'DynamoDBClient', operation: 'PutItem', input: put(db().names.audit) },
      resolver,
      names,
    );
    const inTransaction = iamRequestsOf(
      {
        client: 'DynamoDBClient',
        operation: 'TransactWriteItems',
        input: { TransactItems: [{ Put: put(db().names.audit) }] },
      },
      resolver,
      names,
    );
    expect(alone).toHaveLength(1);
    expect(alone[0]!.context).not.toHaveProperty(['dynamodb:EnclosingOperation']);
    expect(inTransaction[0]!.context).toMatchObject({ 'dynamodb:EnclosingOperation': 'TransactWriteItems' });
    for (const fn of ['slack', 'request-api'] as const) {
      expect(await evaluate(policiesOf(fn), alone[0]!), fn).not.toBe('Allowed');
      expect(await evaluate(policiesOf(fn), inTransaction[0]!), fn).toBe('Allowed');
    }
  });
});

/** The logical ids of the event source mappings that feed a function (its triggers). */
function triggerOf(name: BrokerFunctionName, { synth } = main()): string[] {
  const fn = synth.stack.getLogicalId(synth.stack.functions[name].function.node.defaultChild as CfnElement);
  const found = Object.keys(synth.json.Resources).filter((id) => {
    const r = synth.json.Resources[id]!;
    return (
      r.Type === 'AWS::Lambda::EventSourceMapping' &&
      JSON.stringify(r.Properties?.FunctionName) === JSON.stringify({ Ref: fn })
    );
  });
  expect(found, `${name}'s event source mapping`).toHaveLength(1);
  return found;
}

/** Requests IAM must refuse, whatever the code does: role, action and resource. */
function mustBeDenied(): { fn: BrokerFunctionName; why: string; request: IamRequest }[] {
  const auditTable = resolver.arnOf(logicalId('AuditTable', 'AWS::DynamoDB::Table'));
  const archiveBucket = resolver.arnOf(logicalId('ArchiveBucket', 'AWS::S3::Bucket'));
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
  for (const fn of ['slack', 'grant-worker', 'sweeper', 'reconciler', 'audit-api', 'audit-anchor'] as const) {
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
  const lookupIn = (region: string): IamRequest => ({
    action: 'cloudtrail:LookupEvents',
    resource: '*',
    context: { 'aws:RequestedRegion': region },
  });
  rows.push(
    { fn: 'sweeper', why: 'CloudTrail outside the configured Regions', request: lookupIn('eu-west-1') },
    { fn: 'grant-worker', why: 'only the sweeper reads CloudTrail', request: lookupIn(ENVIRONMENT.region) },
    { fn: 'access-review', why: 'only the sweeper reads CloudTrail', request: lookupIn(ENVIRONMENT.region) },
  );
  const inTransaction = (chain: string) => ({
    'dynamodb:EnclosingOperation': 'TransactWriteItems',
    'dynamodb:LeadingKeys': [chain],
  });
  const marker = reviewMarkerKey('2026-W47').chain;
  rows.push(
    {
      fn: 'access-review',
      why: 'the review writes only its own markers, never an audit event or a policy version',
      request: {
        action: 'dynamodb:PutItem',
        resource: auditTable,
        context: inTransaction(policyVersionKey('0'.repeat(64)).chain),
      },
    },
    {
      fn: 'access-review',
      why: 'even its markers only in a transaction (the boundary)',
      request: {
        action: 'dynamodb:PutItem',
        resource: auditTable,
        context: { 'dynamodb:LeadingKeys': [marker] },
      },
    },
    {
      fn: 'access-review',
      why: 'audit items are never deleted',
      request: { action: 'dynamodb:DeleteItem', resource: auditTable, context: inTransaction(marker) },
    },
    {
      fn: 'access-review',
      why: 'the review writes only under reviews/',
      request: { action: 's3:PutObject', resource: `${archiveBucket}/audit/2026/11/27/events.jsonl` },
    },
  );
  // The mailbox holds minted credentials: the console API opens and collects tickets by key, the
  // worker only fills one; nobody lists it or deletes from it, no other function touches it.
  const mailbox = resolver.arnOf(logicalId('CredentialsMailboxTable', 'AWS::DynamoDB::Table'));
  const onMailbox = (fn: BrokerFunctionName, why: string, actions: readonly string[]) =>
    rows.push(...actions.map((action) => ({ fn, why, request: { action, resource: mailbox } })));
  for (const fn of ['sweeper', 'reconciler', 'slack', 'request-api', 'audit-api'] as const)
    onMailbox(fn, 'only the console API and the worker touch the mailbox', [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:Scan',
    ]);
  onMailbox('console-api', 'the console API reads tickets by key and never deletes one', [
    'dynamodb:Scan',
    'dynamodb:Query',
    'dynamodb:DeleteItem',
    'dynamodb:BatchGetItem',
  ]);
  onMailbox('grant-worker', 'the worker only fills an open ticket: it neither opens, reads nor lists', [
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:Scan',
    'dynamodb:DeleteItem',
  ]);
  // Filling a ticket returns nothing: asking for the item back would read any ticket's credentials.
  for (const returnValues of ['ALL_OLD', 'ALL_NEW', 'UPDATED_OLD'])
    rows.push({
      fn: 'grant-worker',
      why: `the worker's fill returns no item (ReturnValues ${returnValues})`,
      request: {
        action: 'dynamodb:UpdateItem',
        resource: mailbox,
        context: { 'dynamodb:ReturnValues': returnValues },
      },
    });
  // The audit digests: the anchor function writes them, the auditors' readers (audit and console
  // APIs) read them, verify scans them; nobody deletes or rewrites one, no other function touches them.
  const digests = resolver.arnOf(logicalId('AuditDigestsTable', 'AWS::DynamoDB::Table'));
  const onDigests = (fn: BrokerFunctionName, why: string, actions: readonly string[]) =>
    rows.push(...actions.map((action) => ({ fn, why, request: { action, resource: digests } })));
  for (const fn of BROKER_FUNCTIONS)
    onDigests(fn, 'digests are never deleted', ['dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']);
  for (const fn of BROKER_FUNCTIONS.filter((f) => !['audit-anchor', 'audit-api', 'console-api'].includes(f)))
    onDigests(fn, 'only the anchor function and the auditors’ readers touch the digests', [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:Scan',
    ]);
  for (const fn of ['audit-api', 'console-api'] as const)
    onDigests(fn, 'the auditors’ readers never write a digest', ['dynamodb:PutItem', 'dynamodb:UpdateItem']);
  onDigests('audit-anchor', 'the digest run writes whole items and never lists the digests', [
    'dynamodb:UpdateItem',
    'dynamodb:Scan',
  ]);
  rows.push({
    fn: 'audit-anchor',
    why: 'the digest run reads the audit table through its by-day index only',
    request: { action: 'dynamodb:Query', resource: `${auditTable}/index/by-target` },
  });
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
    const rows = mustBeDenied().map(({ fn, ...row }) => ({ ...row, who: fn, role: policiesOf(fn) }));
    expect(await tally.allowedOf(rows)).toEqual([]);
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
      // Outside both managed paths: denied by the negated boundary condition (no key on a delete).
      { action: 'iam:DeleteRolePermissionsBoundary', resource: `arn:aws:iam::${account}:role/anything` },
      { action: 'dynamodb:DeleteItem', resource: auditTable },
      // The audit digests: a digest edited to drop an event would hide it from a target's answers.
      ...['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'].map((action) => ({
        action,
        resource: resolver.arnOf(logicalId('AuditDigestsTable', 'AWS::DynamoDB::Table')),
      })),
      // The console's credentials mailbox: no brokered session reads, takes or plants credentials.
      ...['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:Scan'].map((action) => ({
        action,
        resource: resolver.arnOf(logicalId('CredentialsMailboxTable', 'AWS::DynamoDB::Table')),
      })),
      // The broker's triggers: the grant queue's and the audit archive stream's event source mappings.
      ...[...triggerOf('grant-worker'), ...triggerOf('audit-archive')].flatMap((mapping) =>
        ['lambda:UpdateEventSourceMapping', 'lambda:DeleteEventSourceMapping'].map((action) => ({
          action,
          resource: resolver.arnOf(mapping),
        })),
      ),
    ];
    // Every broker function, the four without a trigger of their own included: no direct
    // invocation with a forged event (a stream record into the archive), no change of any kind.
    const functionArn = (name: BrokerFunctionName) =>
      resolver.arnOf(
        synth.stack.getLogicalId(synth.stack.functions[name].function.node.defaultChild as CfnElement),
      );
    denied.push(
      ...BROKER_FUNCTIONS.flatMap((name) =>
        [
          'lambda:InvokeFunction',
          'lambda:InvokeAsync',
          'lambda:UpdateFunctionCode',
          'lambda:UpdateFunctionConfiguration',
          'lambda:DeleteFunction',
          'lambda:AddPermission',
          'lambda:PutFunctionConcurrency',
        ].map((action) => ({ action, resource: functionArn(name) })),
      ),
      { action: 'lambda:UpdateAlias', resource: `${functionArn('audit-archive')}:live` },
      { action: 'lambda:InvokeFunction', resource: `${functionArn('console-api')}:1` },
      // A new trigger (a queue of the session's own, opened to the function's role) on any of them.
      ...BROKER_FUNCTIONS.map((name) => ({
        action: 'lambda:CreateEventSourceMapping',
        resource: '*',
        context: { 'lambda:FunctionArn': functionArn(name) },
      })),
    );
    const still: IamRequest[] = [
      // A function URL request reaches the handler's own check (IAM caller, Slack signature).
      {
        action: 'lambda:InvokeFunction',
        resource: functionArn('audit-api'),
        context: { 'lambda:InvokedViaFunctionUrl': 'true' },
      },
      { action: 'lambda:InvokeFunctionUrl', resource: functionArn('audit-api') },
      // Triggers on the session's own functions stay its business.
      {
        action: 'lambda:CreateEventSourceMapping',
        resource: '*',
        context: { 'lambda:FunctionArn': `arn:aws:lambda:us-east-1:${account}:function:web-app-worker` },
      },
      { action: 'ecs:UpdateService', resource: `arn:aws:ecs:us-east-1:${account}:service/web-app/api` },
      { action: 's3:GetObject', resource: 'arn:aws:s3:::web-app-assets/index.html' },
    ];
    const boundary = { who: 'BreakGlassAdmin', role: admin, why: 'brokered-role boundary' };
    expect(await tally.allowedOf(denied.map((request) => ({ ...boundary, request })))).toEqual([]);
    for (const request of still) {
      const decision = await evaluate(admin, request);
      tally.evaluated.push({ fn: 'BreakGlassAdmin', scenario: 'brokered-role boundary', request, decision });
      expect(decision, `${request.action} ${request.resource}`).toBe('Allowed');
    }
  });
});

describe('permissions proven offline: the evaluation catches a missing statement', () => {
  it('with the worker’s AddUserToGroup statement removed, the recorded activation is denied', async () => {
    const w = world('in-process');
    await storeGrants(w, [grant({ id: 'g-dev', targetId: 'developers', status: 'APPROVED' })]);
    const run = workerOn(w.deps);
    const { calls } = await recorder.during(() => run({ kind: 'activate', requestId: 'g-dev' }));
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

describe('permissions proven offline: the request API and the console API', () => {
  /** The example policy with API callers and console (OIDC) emails for its people. */
  const POLICY_WITH_FRONT_DOORS = EXAMPLE_POLICY.replace(
    'users: [U0DEV00001, U0DEV00002, U0DEV00003]',
    'users: [U0DEV00001, U0DEV00002, U0DEV00003]\n    emails: [dev@example.com]',
  )
    .replace(
      'users: [U0LEAD0001, U0LEAD0002, U0LEAD0003]',
      'users: [U0LEAD0001, U0LEAD0002, U0LEAD0003]\n    emails: [lead@example.com]',
    )
    .replace('users: [U0AUD00001]', 'users: [U0AUD00001]\n    emails: [auditor@example.com]')
    .replace('U0AUD00001: external.auditor', 'U0AUD00001: external.auditor\n  U0DEV00001: alice')
    // The example maps the local keys under api.callers; this account's callers join them.
    .replace(
      'api:\n  callers:\n',
      `api:\n  callers:\n    arn:aws:iam::${account}:user/dev-one: U0DEV00001\n    arn:aws:iam::${account}:user/lead-one: U0LEAD0001\n`,
    );

  /** The front doors' ports over real clients: the tables, the SQS hand-off, STS for credentials. */
  function frontDoor() {
    const w = world('in-process');
    const policy = staticPolicy(parsePolicy(POLICY_WITH_FRONT_DOORS, 'front-doors', TARGET_KINDS));
    const requests: RequestDeps = {
      ...fakeWorld(POLICY_WITH_FRONT_DOORS).deps,
      store: db().requests,
      audit: db().audit,
      policy,
      clock: w.clock,
      queue: new SqsGrantQueue(w.clients.sqs, queueUrl()),
    };
    const grants = { ...w.deps, policy };
    return { w, requests, grants, policy };
  }

  it('request API: a request, its approval (SendMessage), the caller’s access, and credentials of a live role grant (AssumeRole)', async () => {
    const { w, requests, grants, policy } = frontDoor();
    await storeGrants(w, [
      grant({ id: 'r-prod', targetId: 'prod-operator', requester: 'U0DEV00001', status: 'ACTIVE' }),
    ]);
    const { delivery: _unused, ...grantPorts } = grants;
    const handle = createRequestApiHandler({
      api: { requests, people: { policy, directory: apiCallerDirectory(policy) }, grants: grantPorts },
      logger: quiet,
    });
    const call = async (who: 'dev-one' | 'lead-one', method: string, path: string, body?: unknown) => {
      const answer = await handle({
        rawPath: path,
        // A function URL event always carries headers (here, no client declared: channel api).
        headers: {},
        body: body === undefined ? undefined : JSON.stringify(body),
        isBase64Encoded: false,
        requestContext: {
          http: { method },
          authorizer: { iam: { userArn: `arn:aws:iam::${account}:user/${who}` } },
        },
      } as unknown as RequestApiEvent);
      return {
        status: answer.statusCode,
        body: JSON.parse(String(answer.body)) as { request?: { id: string } },
      };
    };
    const { calls } = await recorder.during(async () => {
      const submitted = await call('dev-one', 'POST', '/requests', {
        target: 'developers',
        reason: 'deploy the fix',
      });
      expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
      const id = String(submitted.body.request?.id);
      expect((await call('lead-one', 'POST', `/requests/${id}/approve`)).status).toBe(200);
      expect((await call('dev-one', 'GET', '/requests')).status).toBe(200);
      expect((await call('dev-one', 'POST', '/credentials', { target: 'prod-operator' })).status).toBe(200);
    });
    expect(standIn.state.sqsMessages).toHaveLength(1);
    expect(operations(calls)).toEqual(
      expect.arrayContaining(['AssumeRole', 'Query', 'SendMessage', 'TransactWriteItems']),
    );
    expect(await evaluateCalls('request-api', 'request + approval + credentials', calls)).toEqual([]);
  });

  const expectOk = (answer: { status?: number; body: unknown }) =>
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);

  /** The console API over `requests` (and the DynamoDB mailbox, when given), called as `email`. */
  function consoleApi(requests: RequestDeps, mailbox?: DynamoCredentialsMailbox) {
    const handle = createConsoleApiHandler({
      api: {
        request: requests,
        reader: auditorsReader(db()),
        digests: digestsOf(db()),
        ...(mailbox ? { mailbox } : {}),
      },
      emailClaim: 'email',
      groupsClaim: 'groups',
      origin: 'https://console.example.com',
      logger: quiet,
    });
    return async (email: string, method: string, path: string, body?: unknown) => {
      const answer = await handle({
        rawPath: `/console/api${path.split('?')[0]}`,
        queryStringParameters: Object.fromEntries(new URLSearchParams(path.split('?')[1] ?? '')),
        body: body === undefined ? undefined : JSON.stringify(body),
        isBase64Encoded: false,
        requestContext: { http: { method }, authorizer: { jwt: { claims: { email }, scopes: [] } } },
      } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer);
      return {
        status: answer.statusCode,
        body: JSON.parse(String(answer.body)) as Record<string, unknown> & { request?: { id: string } },
      };
    };
  }

  it('console API: a request, its approval (SendMessage), the caller’s access, and the auditor’s events and verification (through the digests)', async () => {
    await digestedDay(db(), '2026-11-26');
    const { requests } = frontDoor();
    const call = consoleApi(requests);
    const { calls } = await recorder.during(async () => {
      const submitted = await call('dev@example.com', 'POST', '/requests', {
        targetId: 'developers',
        reason: 'deploy the fix',
      });
      expect(submitted.status, JSON.stringify(submitted.body)).toBeLessThan(300);
      const id = String(submitted.body.request?.id);
      expectOk(await call('lead@example.com', 'GET', '/approvals'));
      expectOk(await call('lead@example.com', 'POST', `/approvals/${id}/approve`));
      expectOk(await call('dev@example.com', 'GET', '/my-access'));
      expectOk(await call('auditor@example.com', 'GET', '/audit/events?target=developers'));
      const verified = await call('auditor@example.com', 'GET', '/audit/verify');
      expectOk(verified);
      expect(verified.body).toMatchObject({ ok: true });
    });
    expect(operations(calls.filter((c) => c.input.TableName === db().names.auditDigests))).toEqual([
      'GetItem',
      'Query',
      'Scan',
    ]);
    expect(standIn.state.sqsMessages).toHaveLength(1);
    expect(operations(calls)).toEqual(expect.arrayContaining(['Query', 'SendMessage', 'TransactWriteItems']));
    expect(await evaluateCalls('console-api', 'request + approval + audit', calls)).toEqual([]);
  });

  it('console credentials mailbox: the console API opens a ticket (PutItem) and collects it once (GetItem, UpdateItem); the worker fills it (UpdateItem)', async () => {
    const { w, requests, grants } = frontDoor();
    const mailbox = new DynamoCredentialsMailbox(db().doc, await mailboxTable(), w.clock);
    const call = consoleApi(requests, mailbox);
    const me = String((await call('dev@example.com', 'GET', '/me')).body.person ?? '');
    await storeGrants(w, [
      grant({ id: 'r-prod', targetId: 'prod-operator', requester: me, status: 'ACTIVE' }),
    ]);
    const opened = await recorder.during(async () => {
      const asked = await call('dev@example.com', 'POST', '/grants/r-prod/credentials');
      expect(asked.status, JSON.stringify(asked.body)).toBe(202);
      const ticket = String(asked.body.ticket);
      expect((await call('dev@example.com', 'GET', `/credentials/${ticket}`)).body).toEqual({
        state: 'pending',
      });
      return ticket;
    });
    // The worker takes the job the console API queued and leaves the credentials in the mailbox.
    const job = JSON.parse(standIn.state.sqsMessages[0]!.body) as GrantJob;
    const run = workerOn({ ...grants, delivery: routeCredentials(mailbox, grants.delivery) });
    const filled = await recorder.during(() => run(job));
    expect(filled.value.batchItemFailures).toEqual([]);
    const collected = await recorder.during(() =>
      call('dev@example.com', 'GET', `/credentials/${opened.value}`),
    );
    expect(collected.value.body).toMatchObject({ state: 'ready' });
    const onMailbox = (calls: readonly SdkCall[]) =>
      operations(calls.filter((c) => String(c.input.TableName).endsWith(MAILBOX_SUFFIX)));
    expect(onMailbox([...opened.calls, ...collected.calls])).toEqual(['GetItem', 'PutItem', 'UpdateItem']);
    expect(onMailbox(filled.calls)).toEqual(['UpdateItem']);
    expect(
      await evaluateCalls('console-api', 'credentials ticket opened + collected', [
        ...opened.calls,
        ...collected.calls,
      ]),
    ).toEqual([]);
    expect(await evaluateCalls('grant-worker', 'credentials left in the mailbox', filled.calls)).toEqual([]);
  });
});

/**
 * Every kind: a policy with a permission set in two accounts, an Identity Center group and an
 * IAM group in a member account (test/infra/fixtures/permissions-kinds.yaml), synthesized into
 * its own template; the member account's agent role comes from infra/agent-role-stack.ts,
 * trusting the broker roles of that template.
 */
describe('permissions proven offline: every kind (permission set, Identity Center group, member-account group)', () => {
  const KINDS_POLICY = new URL('./fixtures/permissions-kinds.yaml', import.meta.url).pathname;
  const INSTANCE = 'arn:aws:sso:::instance/ssoins-1111222233334444';
  const SET = 'arn:aws:sso:::permissionSet/ssoins-1111222233334444/ps-aaaabbbbccccdddd';
  const PROD = '111111111111';
  const IC_GROUP = '906781b4c1-1234abcd-1234-1234-1234-123456789012';
  const USER = '906781b4c1-aaaaaaaa-0000-0000-0000-000000000001';
  const MEMBER = '444455556666';
  const AGENT_ROLE = `arn:aws:iam::${MEMBER}:role/${DEFAULT_AGENT_ROLE_NAME}`;
  const EMAIL = 'dev1@example.com';
  const SIEM_BUS = 'siem-bus';

  let kinds: Under;
  let agent: RolePolicies;
  beforeAll(() => {
    // The audit archive forwards to a SIEM bus only when one is configured: this template has one.
    const synthesized = synthBroker({ context: { policyFile: KINDS_POLICY, archiveEventBus: SIEM_BUS } });
    kinds = { synth: synthesized, resolver: new TemplateResolver(synthesized.json.Resources) };
    // The member account's stack, trusting the grant worker, sweeper and reconciler of that template.
    const app = new App();
    const stack = new AgentRoleStack(app, 'JitBrokerAgent', {
      env: { account: MEMBER, region: ENVIRONMENT.region },
      brokerRoleArns: (['grant-worker', 'sweeper', 'reconciler'] as const).map((fn) =>
        kinds.resolver.arnOf(roleIdOf(fn, kinds)),
      ),
    });
    const template = app.synth().getStackByName(stack.stackName).template as SynthResult['json'];
    const agentResolver = new TemplateResolver(template.Resources);
    const roleId = Object.keys(template.Resources).find(
      (id) => template.Resources[id]!.Type === 'AWS::IAM::Role',
    )!;
    agent = { ...rolePolicies(agentResolver, roleId), arn: AGENT_ROLE };
  }, 180_000);

  /** The agent role's IAM calls: groups of the member account, under the managed path. */
  let agentRecorder: AwsCallRecorder;
  beforeEach(() => {
    agentRecorder = new AwsCallRecorder();
    const sso = standIn.state.sso;
    sso.permissionSets.set(SET, { name: 'AdministratorAccess', sessionDuration: 'PT1H' });
    sso.users.push({ userId: USER, userName: 'dev1', email: EMAIL });
    sso.groups.set(IC_GROUP, { displayName: 'Prod Operators', members: new Map() });
    sso.accounts.set(PROD, 'prod').set('222222222222', 'staging');
  });

  /** The grant side over real clients for every kind, as functions/wiring/grant-wiring.ts wires it. */
  function kindsWorld(repairs: 'in-process' | 'queue', policyFile = KINDS_POLICY) {
    return recordedGrantWorld(recorder, db(), {
      policyYaml: readFileSync(policyFile, 'utf8'),
      repairs,
      more: (clients) => ({
        permissionSets: permissionSetAdapters(clients),
        memberAccountGroups: agentRoleGroups({
          sts: clients.sts,
          iamClient: (credentials) => agentRecorder.attach(createIamClient({}, credentials)),
          sessionName: 'jit-broker',
        }),
        identityCenterGroups: new IdentityStoreGroupMembership(clients.identityStore),
        identityCenterUsers: new IdentityCenterUsers(clients.identityStore),
      }),
    });
  }

  const kindGrant = (id: string, targetId: string, fields: Partial<AccessRequest> = {}) =>
    grantRecord({
      id,
      targetId,
      requester: 'U0DEV00001',
      principal: targetId === 'shop-devs' ? 'alice' : EMAIL,
      targetKind:
        { 'prod-admin': 'permission-set', 'ic-prod-ops': 'identity-center-group' }[targetId] ?? 'group',
      startsAt: at('09:00'),
      endsAt: at('10:00'),
      ...(targetId === 'prod-admin' ? { account: PROD } : {}),
      ...fields,
    });

  /** The broker function's calls against its role in the kinds template, the agent's against the agent role. */
  async function evaluateKinds(fn: BrokerFunctionName, scenario: string, calls: readonly SdkCall[]) {
    const agentTrust = (request: IamRequest) => (request.resource === AGENT_ROLE ? agent.trust : undefined);
    return [
      ...(await evaluateCalls(fn, scenario, calls, { under: kinds, resourcePolicy: agentTrust })),
      ...(await evaluateCalls(
        'agent-role',
        `${scenario} (${fn} through the agent role)`,
        agentRecorder.calls,
        {
          under: kinds,
          role: agent,
          names: { memberAccount: { account: MEMBER, path: '/jit/' } },
        },
      )),
    ];
  }

  /** Runs `run` while both recorders record. */
  async function recording<T>(run: () => Promise<T>) {
    return recorder.during(() => agentRecorder.during(run).then((r) => r.value));
  }

  it('grant worker: activates every kind (CreateAccountAssignment polled, CreateGroupMembership, the agent role’s AddUserToGroup)', async () => {
    const w = kindsWorld('in-process');
    standIn.state.sso.plans.set('CreateAccountAssignment', { polls: 1 });
    await storeGrants(w, [
      kindGrant('ps-1', 'prod-admin'),
      kindGrant('ic-1', 'ic-prod-ops'),
      kindGrant('mg-1', 'shop-devs'),
    ]);
    const jobs = ['ps-1', 'ic-1', 'mg-1'].map((requestId) => ({ kind: 'activate', requestId }) as const);
    const { calls } = await recording(() => workerOn(w.deps).untilDone(...jobs));
    expect(standIn.state.sso.assignments.size).toBe(1);
    expect([...standIn.state.sso.groups.get(IC_GROUP)!.members.keys()]).toEqual([USER]);
    expect(standIn.isMember('jit-developers', 'alice')).toBe(true);
    expect(operations(calls)).toEqual(
      expect.arrayContaining([
        'AssumeRole',
        'CreateAccountAssignment',
        'CreateGroupMembership',
        'DescribeAccountAssignmentCreationStatus',
        'GetUserId',
      ]),
    );
    expect(operations(agentRecorder.calls)).toEqual(['AddUserToGroup']);
    expect(await evaluateKinds('grant-worker', 'activate every kind', calls)).toEqual([]);
  });

  it('grant worker: early revoke of a permission-set grant removes the assignment and seals its sessions (inline policy, provisioning)', async () => {
    const w = kindsWorld('in-process');
    await storeGrants(w, [kindGrant('ps-1', 'prod-admin', { status: 'ACTIVE' })]);
    standIn.state.sso.assignments.add(assignmentKey(INSTANCE, SET, PROD, USER));
    standIn.state.sso.plans.set('ProvisionPermissionSet', { polls: 1 });
    const run = workerOn(w.deps);
    const { value, calls } = await recording(() =>
      run({ kind: 'revoke', requestId: 'ps-1', actor: 'U0LEAD0001', reason: 'done' }),
    );
    expect(value.batchItemFailures).toEqual([]);
    expect(standIn.state.sso.assignments.size).toBe(0);
    expect(standIn.state.sso.inlinePolicies.get(SET)).toContain('aws:TokenIssueTime');
    expect(operations(calls)).toEqual(
      expect.arrayContaining([
        'DeleteAccountAssignment',
        'DescribePermissionSetProvisioningStatus',
        'GetInlinePolicyForPermissionSet',
        'ProvisionPermissionSet',
        'PutInlinePolicyToPermissionSet',
      ]),
    );
    expect(await evaluateKinds('grant-worker', 'revoke + session seal', calls)).toEqual([]);
  });

  it('sweeper: expires every kind (DeleteAccountAssignment + seal, DeleteGroupMembership, the agent role’s RemoveUserFromGroup), then prunes the seal', async () => {
    const w = kindsWorld('queue');
    await storeGrants(w, [
      kindGrant('ps-1', 'prod-admin', { status: 'ACTIVE' }),
      kindGrant('ic-1', 'ic-prod-ops', { status: 'ACTIVE' }),
      kindGrant('mg-1', 'shop-devs', { status: 'ACTIVE' }),
    ]);
    standIn.state.sso.assignments.add(assignmentKey(INSTANCE, SET, PROD, USER));
    standIn.state.sso.groups.get(IC_GROUP)!.members.set(USER, 'membership-1');
    standIn.state.groups.set('jit-developers', new Set(['alice']));
    w.clock.set(at('10:01'));
    const sweep = sweeperOn(w);
    const { value, calls } = await recording(async () => {
      const swept = await sweep();
      // Once no session the seal covers can be valid, the next sweep prunes it.
      w.clock.set(at('12:00'));
      await sweep();
      return swept;
    });
    expect(value.sweep).toMatchObject({ ended: 3, failed: 0 });
    expect(standIn.state.sso.assignments.size).toBe(0);
    expect(standIn.state.sso.groups.get(IC_GROUP)!.members.size).toBe(0);
    expect(standIn.isMember('jit-developers', 'alice')).toBe(false);
    expect(standIn.state.sso.inlinePolicies.has(SET)).toBe(false);
    expect(operations(calls)).toEqual(
      expect.arrayContaining([
        'AssumeRole',
        'DeleteAccountAssignment',
        'DeleteGroupMembership',
        'DescribePermissionSet',
        'GetGroupMembershipId',
        'ProvisionPermissionSet',
        'PutInlinePolicyToPermissionSet',
      ]),
    );
    expect(operations(agentRecorder.calls)).toEqual(expect.arrayContaining(['RemoveUserFromGroup']));
    expect(await evaluateKinds('sweeper', 'expire every kind + prune', calls)).toEqual([]);
  });

  it('reconciler: lists the Identity Center group’s memberships and, through the agent role, the member account’s group', async () => {
    const w = kindsWorld('queue');
    standIn.state.sso.groups.get(IC_GROUP)!.members.set('mallory-id', 'membership-2');
    standIn.state.groups.set('jit-developers', new Set(['mallory']));
    const run = createReconcilerHandler({ deps: w.deps, remove: false, logger: quiet });
    const { value, calls } = await recording(() => run());
    expect(value.findings.map((f) => f.member).sort()).toEqual(['mallory', 'mallory-id']);
    expect(operations(calls)).toEqual(expect.arrayContaining(['AssumeRole', 'ListGroupMemberships']));
    expect(operations(agentRecorder.calls)).toEqual(['GetGroup']);
    expect(await evaluateKinds('reconciler', 'report drift of every kind', calls)).toEqual([]);
  });

  /**
   * A permission set named by ARN over nested OUs (test/infra/fixtures/permissions-ous.yaml),
   * in its own template: the account of a grant is allowed once the Organization's reads find
   * it under the target's OU or one nested in it.
   */
  describe('a permission set over nested OUs', () => {
    const OUS_POLICY = new URL('./fixtures/permissions-ous.yaml', import.meta.url).pathname;
    const WORKLOADS = 'ou-abcd-11112222';
    const TEAM = 'ou-abcd-33334444';
    const TEAM_ACCOUNT = '333333333333';
    let ous: Under;
    beforeAll(() => {
      const synthesized = synthBroker({ context: { policyFile: OUS_POLICY } });
      ous = { synth: synthesized, resolver: new TemplateResolver(synthesized.json.Resources) };
    }, 180_000);

    it('grant worker: activates in an account of a nested OU (ListAccountsForParent, ListChildren, CreateAccountAssignment)', async () => {
      const sso = standIn.state.sso;
      sso.ous
        .set(WORKLOADS, { accounts: [], children: [TEAM] })
        .set(TEAM, { accounts: [TEAM_ACCOUNT], children: [] });
      sso.accounts.set(TEAM_ACCOUNT, 'team');
      const w = kindsWorld('in-process', OUS_POLICY);
      await storeGrants(w, [
        grantRecord({
          id: 'ou-1',
          targetId: 'org-admin',
          targetKind: 'permission-set',
          requester: 'U0DEV00001',
          principal: EMAIL,
          account: TEAM_ACCOUNT,
          startsAt: at('09:00'),
          endsAt: at('10:00'),
        }),
      ]);
      const { calls } = await recorder.during(() =>
        workerOn(w.deps).untilDone({ kind: 'activate', requestId: 'ou-1' }),
      );
      expect([...sso.assignments]).toEqual([assignmentKey(INSTANCE, SET, TEAM_ACCOUNT, USER)]);
      expect(operations(calls)).toEqual(
        expect.arrayContaining(['CreateAccountAssignment', 'ListAccountsForParent', 'ListChildren']),
      );
      const parents = calls
        .filter((c) => c.operation === 'ListAccountsForParent')
        .map((c) => c.input.ParentId);
      expect(new Set(parents)).toEqual(new Set([WORKLOADS, TEAM]));
      expect(await evaluateCalls('grant-worker', 'activate under nested OUs', calls, { under: ous })).toEqual(
        [],
      );
    });

    it('slack: the request form lists the accounts under the nested OUs, their names and the permission set’s name', async () => {
      const sso = standIn.state.sso;
      sso.ous
        .set(WORKLOADS, { accounts: [], children: [TEAM] })
        .set(TEAM, { accounts: [TEAM_ACCOUNT], children: [] });
      sso.accounts.set(TEAM_ACCOUNT, 'team');
      const clients = createAwsClients({ maxAttempts: 1 });
      recorder.attach(clients.organizations);
      recorder.attach(clients.ssoAdmin);
      // As functions/slack/handler.ts wires the form's account picker.
      const accounts = permissionSetAccountDirectory(permissionSetAdapters(clients));
      const target = parsePolicy(readFileSync(OUS_POLICY, 'utf8'), 'ous', TARGET_KINDS).targets[0]!;
      const { value, calls } = await recorder.during(async () => ({
        accounts: await accounts.accountsFor(target),
        name: await accounts.nameOf(TEAM_ACCOUNT),
        set: await accounts.accessNameOf?.(target),
      }));
      expect(value).toEqual({
        accounts: [{ id: TEAM_ACCOUNT, name: 'team' }],
        name: 'team',
        set: 'AdministratorAccess',
      });
      expect(operations(calls)).toEqual(
        expect.arrayContaining([
          'DescribeAccount',
          'DescribePermissionSet',
          'ListAccountsForParent',
          'ListChildren',
        ]),
      );
      expect(await evaluateCalls('slack', 'account picker under nested OUs', calls, { under: ous })).toEqual(
        [],
      );
    });
  });

  it('audit archive: a stream batch written to the archive bucket (S3 PutObject) and forwarded to the SIEM bus (PutEvents)', async () => {
    const appended = await db().audit.append(approval({ at: START, targetId: 'prod-admin' }));
    // No S3 or EventBridge stand-in: the calls are recorded, then answered in process (never sent).
    const s3 = answerInProcess(recorder.attach(new S3Client({ region: 'us-east-1' })), { PutObject: {} });
    const events = answerInProcess(recorder.attach(new EventBridgeClient({ region: 'us-east-1' })), {
      PutEvents: { FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] },
    });
    const run = createArchiveHandler({
      store: new S3ArchiveStore(s3, ARCHIVE_BUCKET),
      forwarder: new EventBridgeForwarder(events, SIEM_BUS),
    });
    const image = marshall(auditEventToItem(appended), { removeUndefinedValues: true });
    const { value, calls } = await recorder.during(() =>
      run({
        Records: [{ eventName: 'INSERT', dynamodb: { SequenceNumber: '1', NewImage: image as never } }],
      }),
    );
    expect(value.batchItemFailures).toEqual([]);
    expect(operations(calls)).toEqual(['PutEvents', 'PutObject']);
    expect(await evaluateCalls('audit-archive', 'archive + SIEM', calls, { under: kinds })).toEqual([]);
  });

  it('denies what no kind may do: new or unmanaged permission sets, accounts and groups outside the policy, giving access from the sweeper, the agent role outside /jit/', async () => {
    const otherSet = 'arn:aws:sso:::permissionSet/ssoins-1111222233334444/ps-unmanaged00000';
    const outsideAccount = 'arn:aws:sso:::account/999999999999';
    const otherGroup = 'arn:aws:identitystore:::group/906781b4c1-ffffffff-0000-0000-0000-000000000000';
    const rows: DenialRow[] = [];
    for (const fn of ['grant-worker', 'sweeper', 'reconciler'] as const) {
      const role = policiesOf(fn, kinds);
      rows.push(
        {
          who: fn,
          role,
          why: 'creating a permission set',
          request: { action: 'sso:CreatePermissionSet', resource: INSTANCE },
        },
        {
          who: fn,
          role,
          why: 'creating a permission set',
          request: { action: 'sso:CreatePermissionSet', resource: otherSet },
        },
        {
          who: fn,
          role,
          why: "changing an unmanaged permission set's inline policy",
          request: { action: 'sso:PutInlinePolicyToPermissionSet', resource: otherSet },
        },
        {
          who: fn,
          role,
          why: 'assigning an unmanaged permission set',
          request: { action: 'sso:CreateAccountAssignment', resource: otherSet },
        },
        {
          who: fn,
          role,
          why: "assigning in an account outside the policy's accounts",
          request: { action: 'sso:CreateAccountAssignment', resource: outsideAccount },
        },
        {
          who: fn,
          role,
          why: 'removing a member of an unmanaged Identity Store group',
          request: { action: 'identitystore:DeleteGroupMembership', resource: otherGroup },
        },
        {
          who: fn,
          role,
          why: 'a role of the member account other than its agent role',
          request: {
            action: 'sts:AssumeRole',
            resource: `arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole`,
          },
        },
      );
    }
    const sweeper = policiesOf('sweeper', kinds);
    for (const request of [
      { action: 'sso:CreateAccountAssignment', resource: SET },
      {
        action: 'identitystore:CreateGroupMembership',
        resource: `arn:aws:identitystore:::group/${IC_GROUP}`,
      },
    ])
      rows.push({ who: 'sweeper', role: sweeper, why: 'the sweeper only takes access away', request });
    for (const action of ['iam:AddUserToGroup', 'iam:RemoveUserFromGroup', 'iam:GetGroup'])
      rows.push({
        who: 'agent-role',
        role: agent,
        why: 'the agent role touching a group outside /jit/',
        request: { action, resource: `arn:aws:iam::${MEMBER}:group/Admins` },
      });
    rows.push({
      who: 'agent-role',
      role: agent,
      why: 'the agent role changing roles',
      request: { action: 'iam:PutRolePolicy', resource: AGENT_ROLE },
    });
    expect(await tally.allowedOf(rows)).toEqual([]);
  });
});

afterAll(() => {
  console.log(tally.line());
});
