import { AddUserToGroupCommand, IAMClient } from '@aws-sdk/client-iam';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createGrantWiring } from '../../../functions/shared/grant-wiring.js';
import { createBaseWiring } from '../../../functions/shared/wiring.js';
import { EXAMPLE_POLICY_PATH } from '../../../shared/config/policy-file.js';
import { ConfigError } from '../../../shared/domain/errors.js';
import { parsePolicy } from '../../../shared/domain/policy.js';
import { auditOf } from '../../../shared/usecases/audit-events.js';
import { grantRecord } from '../../support/fake-aws.js';
import { ManualClock, TEST_POLICY_YAML } from '../../support/fakes.js';
import { useLocalTables } from '../../support/local-dynamo.js';

const db = useLocalTables();
const sqs = mockClient(SQSClient);
const iam = mockClient(IAMClient);
afterEach(() => {
  sqs.reset();
  iam.reset();
});
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/111122223333/grant-jobs';

const env = {
  REQUESTS_TABLE_NAME: 'requests',
  AUDIT_TABLE_NAME: 'audit',
  POLICY_PATH: EXAMPLE_POLICY_PATH,
  AWS_REGION: 'us-east-1',
};

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
    });
    const tuned = createGrantWiring({
      base: createBaseWiring({
        env: { ...env, GRANT_MAX_ATTEMPTS: '3', SWEEP_CONCURRENCY: '25', RECONCILE_REMOVE: 'true' },
      }),
    });
    expect(tuned.settings).toEqual({ maxAttempts: 3, sweepConcurrency: 25, reconcileRemove: true });
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
