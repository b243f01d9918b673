import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../../shared/domain/policy-text.js';
import { activateGrant } from '../../../shared/usecases/activate-grant.js';
import { ManualClock, RecordingQueue } from '../../support/fakes.js';
import { useLocalTables } from '../../support/local-dynamo.js';
import {
  API_KEYS,
  callApi,
  fakeSlackDirectory,
  requestApiOver,
  type ApiCallerName,
} from '../../support/request-api.js';
import { EMAILS } from '../slack/harness.js';

/**
 * Revoking someone else's grant through the request API (what `jit revoke` calls), signed with
 * SigV4: the same revoke-access use case as Slack decides who may.
 */

const POLICY = parsePolicy(
  `
version: 1
people:
  devs: { users: [UDEV1, UDEV2] }
  leads: { users: [ULEAD1] }
  dbas: { users: [UDBA1] }
  security: { users: [USEC1] }
identityEmailDomain: example.com
security: [security]
api:
  callers:
    "${API_KEYS.dev.arn}": UDEV1
    "${API_KEYS.lead.arn}": ULEAD1
    "${API_KEYS.dba.arn}": UDBA1
    "${API_KEYS.security.arn}": USEC1
targets:
  - { id: dev-group, kind: group, groupName: jit-developers, description: Developers, requesters: [devs], approvers: [leads], defaultDuration: 1h, maxDuration: 8h }
  - { id: db-group, kind: group, groupName: jit-dbas, description: Databases, requesters: [devs], approvers: [dbas], defaultDuration: 1h, maxDuration: 8h }
`,
  'revoke-api-test-policy',
);

const db = useLocalTables();
let queue: RecordingQueue;
let api: ReturnType<typeof requestApiOver>;

beforeEach(() => {
  queue = new RecordingQueue();
  api = requestApiOver({
    db: db(),
    policy: POLICY,
    clock: new ManualClock(),
    queue,
    slackDirectory: fakeSlackDirectory({ ...EMAILS, UDBA1: 'dba.one@example.com' }, {}),
  });
});

const call = (who: ApiCallerName, method: string, path: string, body?: unknown) =>
  callApi(api.gate, who, method, path, body);

async function scan(table: string) {
  return (await db().doc.send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items ?? [];
}

/** UDEV1's dev-group grant, approved by the lead and activated by the worker: req-0001. */
async function liveDevGrant(): Promise<string> {
  await call('dev', 'POST', '/requests', { target: 'dev-group', reason: 'logs' });
  await call('lead', 'POST', '/requests/req-0001/approve');
  await activateGrant(
    { ...api.api.grants, delivery: { deliver: async () => {}, deliverFailure: async () => {} } },
    { requestId: 'req-0001', attempt: 1, maxAttempts: 3 },
  );
  queue.jobs.length = 0;
  return 'req-0001';
}

async function endRequestedEvents() {
  return (await scan(db().names.audit)).filter((e) => e.type === 'grant.end-requested') as {
    actor: string;
    reason: string;
    detail: Record<string, unknown>;
  }[];
}

describe('POST /requests/{id}/revoke', () => {
  it.each([
    {
      description: 'an approver of the grant’s target',
      who: 'lead' as const,
      actor: 'ULEAD1',
      as: 'approver',
    },
    { description: 'a member of the security set', who: 'security' as const, actor: 'USEC1', as: 'security' },
  ])(
    'lets $description end it with a reason; the trail names the api channel',
    async ({ who, actor, as }) => {
      const id = await liveDevGrant();
      const revoked = await call(who, 'POST', `/requests/${id}/revoke`, { reason: 'left the team' });
      expect(revoked).toMatchObject({
        status: 200,
        body: { outcome: 'revoke-requested', as, request: { id, status: 'ACTIVE' } },
      });
      expect(queue.jobs).toEqual([{ kind: 'revoke', requestId: id, actor, reason: 'left the team' }]);
      expect(await endRequestedEvents()).toEqual([
        expect.objectContaining({
          actor,
          reason: 'left the team',
          detail: expect.objectContaining({ channel: 'api', endKind: 'revoke' }),
        }),
      ]);
    },
  );

  it.each([
    { description: 'the holder of another target’s approver role', who: 'dba' as const },
    { description: 'a caller in no people set', who: 'stranger' as const },
  ])('refuses $description with 403 and writes nothing', async ({ who }) => {
    const id = await liveDevGrant();
    const before = { requests: await scan(db().names.requests), audit: await scan(db().names.audit) };
    const refused = await call(who, 'POST', `/requests/${id}/revoke`, {
      reason: 'mine now',
    });
    expect(refused).toMatchObject({
      status: 403,
      body: { error: 'NOT_AUTHORIZED', message: expect.stringMatching(/Only approvers of dev-group/) },
    });
    expect({ requests: await scan(db().names.requests), audit: await scan(db().names.audit) }).toEqual(
      before,
    );
    expect(queue.jobs).toEqual([]);
  });

  it('asks for a reason (422 with the decision’s reason) and answers 404 for an unknown grant', async () => {
    const id = await liveDevGrant();
    expect(await call('lead', 'POST', `/requests/${id}/revoke`, { reason: '  ' })).toMatchObject({
      status: 422,
      body: { outcome: 'refused', reason: 'reason-required' },
    });
    expect((await call('lead', 'POST', '/requests/req-9999/revoke', { reason: 'x' })).status).toBe(404);
    expect((await call('lead', 'POST', `/requests/${id}/revoke`, {})).status).toBe(400);
    expect(queue.jobs).toEqual([]);
  });
});

describe('POST /revocations (all of a person’s grants)', () => {
  it.each([
    { description: 'their person id', person: 'UDEV1' },
    {
      description: 'their email, in any case (the AWS identity their grants are held as)',
      person: 'DEV.ONE@example.com',
    },
  ])(
    'ends every live grant of the person named by $description, for the security set',
    async ({ person }) => {
      const id = await liveDevGrant();
      const revoked = await call('security', 'POST', '/revocations', {
        person,
        reason: 'compromised laptop',
      });
      expect(revoked).toMatchObject({
        status: 200,
        body: { outcome: 'revoke-requested', revoked: [{ id }] },
      });
      expect(queue.jobs).toEqual([
        { kind: 'revoke', requestId: id, actor: 'USEC1', reason: 'compromised laptop' },
      ]);
      expect((await endRequestedEvents())[0]?.detail).toMatchObject({ channel: 'api' });
    },
  );

  it('keeps to the target when one is given, and names nobody it does not find', async () => {
    await liveDevGrant();
    const other = await call('security', 'POST', '/revocations', {
      person: 'UDEV1',
      target: 'db-group',
      reason: 'x',
    });
    expect(other.body).toMatchObject({ outcome: 'revoke-requested', revoked: [] });
    const nobody = await call('security', 'POST', '/revocations', {
      person: 'nobody@example.com',
      reason: 'x',
    });
    expect(nobody.body).toMatchObject({ revoked: [] });
    expect(queue.jobs).toEqual([]);
  });

  it('refuses an approver (not security) with 403 and writes nothing', async () => {
    await liveDevGrant();
    const audit = await scan(db().names.audit);
    const refused = await call('lead', 'POST', '/revocations', { person: 'UDEV1', reason: 'x' });
    expect(refused).toMatchObject({ status: 403, body: { error: 'NOT_AUTHORIZED' } });
    expect(await scan(db().names.audit)).toEqual(audit);
    expect(queue.jobs).toEqual([]);
  });
});
