import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearCaches } from '@aws-lambda-powertools/parameters';
import { AddUserToGroupCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGrantWiring } from '../../../functions/wiring/grant-wiring.js';
import { createBaseWiring } from '../../../functions/wiring/base-wiring.js';
import { SLACK_SECRET_MAX_AGE_SECONDS } from '../../../shared/adapters/slack/runtime.js';
import { bundledPolicyDocument } from '../../../shared/config/bundled-policy-writer.js';
import { EXAMPLE_POLICY_PATH } from '../../../shared/config/policy-file.js';
import { ConfigError } from '../../../shared/domain/errors.js';
import { parsePolicy } from '../../../shared/domain/policy-text.js';
import { auditOf } from '../../../shared/usecases/audit-events.js';
import { grantRecord } from '../../support/fake-aws.js';
import { ManualClock, TEST_POLICY_YAML } from '../../support/fakes.js';
import { useLocalTables } from '../../support/local-dynamo.js';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { CREDENTIALS_MAILBOX_TABLE, createTableInput } from '../../../shared/adapters/dynamodb/tables.js';
import type { AccessRequest } from '../../../shared/domain/request.js';

const db = useLocalTables();
const sqs = mockClient(SQSClient);
const iam = mockClient(IAMClient);
const secrets = mockClient(SecretsManagerClient);
const sts = mockClient(STSClient);
afterEach(() => {
  sts.reset();
  sqs.reset();
  iam.reset();
  secrets.reset();
  clearCaches();
});
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/111122223333/grant-jobs';

/** The example policy bundled as the stack bundles it: the file and its parsed document. */
const BUNDLED_POLICY = join(mkdtempSync(join(tmpdir(), 'jit-wiring-')), 'access-policy-example.yaml');
copyFileSync(EXAMPLE_POLICY_PATH, BUNDLED_POLICY);
writeFileSync(`${BUNDLED_POLICY}.json`, bundledPolicyDocument(EXAMPLE_POLICY_PATH));

const env = {
  REQUESTS_TABLE_NAME: 'requests',
  AUDIT_TABLE_NAME: 'audit',
  POLICY_PATH: BUNDLED_POLICY,
  AWS_REGION: 'us-east-1',
};

describe('the partition of ARNs the broker builds', () => {
  it.each([
    ['cn-north-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
    ['eu-west-1', 'aws'],
  ])('assumes a member account agent role in the partition of %s', async (region, partition) => {
    const policy = parsePolicy(
      `${TEST_POLICY_YAML}  - { id: member-group, kind: group, groupName: jit-members, account: "444455556666", description: Member, requesters: [devs], approvers: [leads], defaultDuration: 1h, maxDuration: 4h }
`,
      'partition-policy',
    );
    const base = createBaseWiring({ env: { ...env, AWS_REGION: region }, policy, doc: db().doc });
    const wiring = createGrantWiring({ base });
    expect(wiring.settings.partition).toBe(partition);
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'LOCALTESTKEY',
        SecretAccessKey: 'secret',
        SessionToken: 'token',
        Expiration: new Date(Date.now() + 3_600_000),
      },
    });
    // The member account's IAM client signs with the agent role's credentials: resolving them assumes it.
    iam.on(AddUserToGroupCommand).callsFake(async (_input, getClient) => {
      await getClient().config.credentials();
      return { $metadata: {} };
    });
    const target = policy.targets.find((t) => t.id === 'member-group')!;
    const grant = grantRecord({
      id: 'req-0001',
      targetId: 'member-group',
      startsAt: '2026-11-27T09:00:00.000Z',
      endsAt: '2026-11-27T10:00:00.000Z',
    });
    await wiring.deps.targets.forKind('group')!.grant(wiring.deps, grant, target);
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input.RoleArn).toMatch(
      new RegExp(`^arn:${partition}:iam::444455556666:role/`),
    );
  });
});

describe('entry-point wiring', () => {
  it('fails start-up naming the missing variable', () => {
    const { POLICY_PATH: _unused, ...withoutPolicy } = env;
    expect(() => createBaseWiring({ env: withoutPolicy })).toThrow(ConfigError);
    expect(() => createBaseWiring({ env: withoutPolicy })).toThrow(/POLICY_PATH/);
  });

  it('reads grant settings from the environment, with defaults', () => {
    const base = createBaseWiring({ env });
    expect(createGrantWiring({ base }).settings).toEqual({
      maxAttempts: 5,
      sweepConcurrency: 10,
      reconcileRemove: false,
      metricsNamespace: 'JitAccessBroker',
      partition: 'aws',
    });
    const tuned = createGrantWiring({
      base: createBaseWiring({
        env: { ...env, GRANT_MAX_ATTEMPTS: '3', SWEEP_CONCURRENCY: '25', RECONCILE_REMOVE: 'true' },
      }),
    });
    expect(tuned.settings).toMatchObject({ maxAttempts: 3, sweepConcurrency: 25, reconcileRemove: true });
    expect(tuned.queue).toBeUndefined();
  });

  it('refuses a bad number, naming the variable', () => {
    const base = createBaseWiring({ env: { ...env, SWEEP_CONCURRENCY: 'many' } });
    expect(() => createGrantWiring({ base })).toThrow(/SWEEP_CONCURRENCY/);
  });

  it('the sweeper (queue mode) hands a restore to the worker as one SQS message and never calls IAM', async () => {
    sqs.on(SendMessageCommand).resolves({});
    const wiring = createGrantWiring({
      base: createBaseWiring({ env: { ...env, GRANT_QUEUE_URL: QUEUE_URL } }),
      membershipRepairs: 'queue',
    });
    await wiring.deps.repairs.restore('req-9');
    expect(sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: QUEUE_URL, MessageBody: '{"kind":"restore-membership","requestId":"req-9"}' },
    ]);
    expect(iam.calls()).toHaveLength(0);
  });

  it('queue mode without GRANT_QUEUE_URL fails at start-up, naming the variable', () => {
    const base = createBaseWiring({ env });
    expect(() => createGrantWiring({ base, membershipRepairs: 'queue' })).toThrow(ConfigError);
    expect(() => createGrantWiring({ base, membershipRepairs: 'queue' })).toThrow(/GRANT_QUEUE_URL/);
  });

  it('the worker (in-process mode) restores the membership itself and sends nothing to the queue', async () => {
    iam.on(AddUserToGroupCommand).resolves({ $metadata: { requestId: 'aws-add-1' } });
    const grant = grantRecord({
      id: 'req-9',
      status: 'ACTIVE',
      startsAt: '2026-11-27T09:00:00.000Z',
      endsAt: '2026-11-27T11:00:00.000Z',
    });
    await db().requests.create(grant, auditOf(grant, 'grant.activated', { at: new Date(), actor: 'x' }));
    const wiring = createGrantWiring({
      base: createBaseWiring({
        env: {
          ...env,
          GRANT_QUEUE_URL: QUEUE_URL,
          REQUESTS_TABLE_NAME: db().names.requests,
          AUDIT_TABLE_NAME: db().names.audit,
        },
        doc: db().doc,
        policy: parsePolicy(TEST_POLICY_YAML, 'test-policy'),
        clock: new ManualClock('2026-11-27T09:30:00.000Z'),
      }),
      membershipRepairs: 'in-process',
    });
    await wiring.deps.repairs.restore('req-9');
    expect(iam.commandCalls(AddUserToGroupCommand).map((c) => c.args[0].input)).toEqual([
      { GroupName: 'jit-developers', UserName: 'alice' },
    ]);
    expect(sqs.calls()).toHaveLength(0);
  });
});

describe('MANAGED_IAM_PATH start-up guard', () => {
  const policyWith = (roleArn: string) =>
    parsePolicy(TEST_POLICY_YAML.replace('arn:aws:iam::111122223333:role/jit/Prod', roleArn), 'test-policy');
  const wiringWith = (managedPath: string | undefined, roleArn: string) => () =>
    createGrantWiring({
      base: createBaseWiring({
        env: managedPath === undefined ? env : { ...env, MANAGED_IAM_PATH: managedPath },
        policy: policyWith(roleArn),
      }),
    });

  it.each([
    {
      description: 'a role under the path',
      path: '/jit/',
      roleArn: 'arn:aws:iam::111122223333:role/jit/Prod',
    },
    {
      description: 'a role deeper under the path',
      path: '/jit/',
      roleArn: 'arn:aws:iam::111122223333:role/jit/team/Prod',
    },
    {
      description: 'no managed path set (local runs)',
      path: undefined,
      roleArn: 'arn:aws:iam::111122223333:role/Admin',
    },
  ])('accepts $description', ({ path, roleArn }) => {
    expect(wiringWith(path, roleArn)).not.toThrow();
  });

  it.each([
    {
      description: 'a role outside any path',
      path: '/jit/',
      roleArn: 'arn:aws:iam::111122223333:role/Admin',
    },
    {
      description: "a role under the broker's own path",
      path: '/jit/',
      roleArn: 'arn:aws:iam::111122223333:role/jit-broker/Worker',
    },
    {
      description: 'a role whose path only starts like the managed one',
      path: '/jit/team/',
      roleArn: 'arn:aws:iam::111122223333:role/jit/Prod',
    },
  ])('refuses $description, naming the target path and the ARN', ({ path, roleArn }) => {
    expect(wiringWith(path, roleArn)).toThrow(ConfigError);
    expect(wiringWith(path, roleArn)).toThrow(`targets[1].roleArn: role target prod-role (${roleArn})`);
  });

  it('refuses a value that is not an IAM path, naming the variable', () => {
    expect(wiringWith('jit', 'arn:aws:iam::111122223333:role/jit/Prod')).toThrow(/MANAGED_IAM_PATH/);
  });
});

describe('Slack bot token of the grant side', () => {
  const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:jit-slack';
  const JOB = {
    kind: 'issue-credentials',
    requestId: 'req-1',
    requester: 'UDEV1',
    replyTo: 'slack-view:V1',
  } as const;
  /** The bot token of each Web API call (a stand-in that only records and answers ok). */
  const tokens: string[] = [];
  let slack: Server;
  let slackUrl = '';

  beforeAll(async () => {
    slack = createServer((req, res) => {
      tokens.push((req.headers.authorization ?? '').replace(/^Bearer /, ''));
      req.resume().on('end', () => res.setHeader('content-type', 'application/json').end('{"ok":true}'));
    });
    await new Promise<void>((resolve) => slack.listen(0, '127.0.0.1', resolve));
    slackUrl = `http://127.0.0.1:${(slack.address() as AddressInfo).port}/api/`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => slack.close(() => resolve()));
  });

  const secretHolding = (botToken: string) => ({
    SecretString: JSON.stringify({ signingSecret: 'placeholder-signing-secret', botToken }),
  });

  it('reads the rotated token from the Slack secret only once the cached one is older than the max age', async () => {
    tokens.length = 0;
    secrets.on(GetSecretValueCommand).resolves(secretHolding('xoxb-one'));
    const clock = new ManualClock();
    const wiring = createGrantWiring({
      base: createBaseWiring({
        env: { ...env, SLACK_SECRET_ARN: SECRET_ARN, SLACK_API_URL: slackUrl },
        clock,
      }),
    });

    await wiring.deps.delivery.deliverFailure(JOB, 'first');
    secrets.on(GetSecretValueCommand).resolves(secretHolding('xoxb-two'));
    // Powertools keeps its own copy for the same max age, taken no later than ours: model its expiry.
    clearCaches();

    clock.advance(SLACK_SECRET_MAX_AGE_SECONDS - 1);
    await wiring.deps.delivery.deliverFailure(JOB, 'still the first token');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);

    clock.advance(2);
    await wiring.deps.delivery.deliverFailure(JOB, 'the rotated token');
    expect(secrets.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input.SecretId)).toEqual([
      SECRET_ARN,
      SECRET_ARN,
    ]);
    expect(tokens).toEqual(['xoxb-one', 'xoxb-one', 'xoxb-two']);
  });

  it('shares one read between concurrent first uses and retries a failed read', async () => {
    tokens.length = 0;
    secrets.on(GetSecretValueCommand).rejectsOnce(new Error('throttled')).resolves(secretHolding('xoxb-tok'));
    const wiring = createGrantWiring({
      base: createBaseWiring({ env: { ...env, SLACK_SECRET_ARN: SECRET_ARN, SLACK_API_URL: slackUrl } }),
    });
    await expect(wiring.deps.delivery.deliverFailure(JOB, 'fails')).rejects.toThrow();
    await Promise.all([
      wiring.deps.delivery.deliverFailure(JOB, 'a'),
      wiring.deps.delivery.deliverFailure(JOB, 'b'),
    ]);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(tokens).toEqual(['xoxb-tok', 'xoxb-tok']);
  });
});

describe('console credentials in AWS (CREDENTIALS_MAILBOX_TABLE_NAME)', () => {
  const credentials = {
    accessKeyId: 'ASIAEXAMPLE',
    secretAccessKey: 'secret',
    sessionToken: 'token',
    expiration: new Date('2026-11-27T10:00:00.000Z'),
  };
  const wiringWith = (extra: Record<string, string>, slackSent: string[]) =>
    createGrantWiring({
      base: createBaseWiring({
        env: { ...env, ...extra },
        doc: db().doc,
        policy: parsePolicy(TEST_POLICY_YAML, 'test-policy'),
        clock: new ManualClock('2026-11-27T09:30:00.000Z'),
      }),
      slack: {
        events: { publish: () => Promise.resolve() },
        delivery: {
          deliver: (job) => Promise.resolve(void slackSent.push(job.replyTo)),
          deliverFailure: (job) => Promise.resolve(void slackSent.push(job.replyTo)),
        },
      },
    });

  it('the worker leaves console tickets in the mailbox the console API collects from; Slack gets the rest', async () => {
    const table = `${db().names.requests}-mailbox`;
    await db().client.send(new CreateTableCommand(createTableInput(CREDENTIALS_MAILBOX_TABLE, table)));
    try {
      const slackSent: string[] = [];
      const worker = wiringWith({ CREDENTIALS_MAILBOX_TABLE_NAME: table }, slackSent);
      const consoleApi = wiringWith({ CREDENTIALS_MAILBOX_TABLE_NAME: table }, []);
      const { ticket, replyTo } = await consoleApi.credentialsMailbox!.open('alice');
      const job = { kind: 'issue-credentials' as const, requestId: 'req-1', requester: 'alice' };
      await worker.deps.delivery.deliver({ ...job, replyTo }, {} as AccessRequest, credentials);
      await worker.deps.delivery.deliver(
        { ...job, replyTo: 'slack-view:V1' },
        {} as AccessRequest,
        credentials,
      );
      expect(await consoleApi.credentialsMailbox!.collect(ticket, 'alice')).toMatchObject({
        state: 'ready',
        accessKeyId: 'ASIAEXAMPLE',
      });
      expect(slackSent).toEqual(['slack-view:V1']);
    } finally {
      await db().client.send(new DeleteTableCommand({ TableName: table }));
    }
  });

  it('without the table there is no mailbox and Slack delivers everything', async () => {
    const slackSent: string[] = [];
    const wiring = wiringWith({}, slackSent);
    expect(wiring.credentialsMailbox).toBeUndefined();
    const job = { kind: 'issue-credentials' as const, requestId: 'req-1', requester: 'alice' };
    await wiring.deps.delivery.deliverFailure({ ...job, replyTo: 'console-ticket:x' }, 'no');
    expect(slackSent).toEqual(['console-ticket:x']);
  });
});
