import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../shared/domain/audit.js';
import type { AccessPolicy } from '../../../shared/domain/policy.js';
import { ManualClock, RecordingQueue } from '../../support/fakes.js';
import { useLocalTables } from '../../support/local-dynamo.js';
import {
  API_KEYS,
  callApi,
  fakeSlackDirectory,
  requestApiOver,
  type ApiCallerName,
} from '../../support/request-api.js';
import { EMAILS, SLACK_TEST_POLICY } from '../slack/harness.js';
import { activateGrant } from '../../../shared/usecases/activate-grant.js';
import { auditChannelOf } from '../../../functions/console-api/audit-channel.js';

const POLICY: AccessPolicy = {
  ...SLACK_TEST_POLICY,
  api: {
    callers: { [API_KEYS.dev.arn]: 'UDEV1', [API_KEYS.lead.arn]: 'ULEAD1', [API_KEYS.lead2.arn]: 'ULEAD2' },
    emailSessionRoles: [],
  },
};

const db = useLocalTables();
let clock: ManualClock;
let queue: RecordingQueue;
let api: ReturnType<typeof requestApiOver>;

beforeEach(() => {
  clock = new ManualClock();
  queue = new RecordingQueue();
  api = requestApiOver({
    db: db(),
    policy: POLICY,
    clock,
    queue,
    slackDirectory: fakeSlackDirectory(EMAILS, { SLEADS1: ['ULEAD3'] }),
  });
});

const call = (who: ApiCallerName | undefined, method: string, path: string, body?: unknown) =>
  callApi(api.gate, who, method, path, body);

async function storedItems() {
  const scan = async (table: string) =>
    (await db().doc.send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items ?? [];
  return [...(await scan(db().names.requests)), ...(await scan(db().names.audit))];
}

async function auditOf(requestId: string) {
  const items =
    (await db().doc.send(new ScanCommand({ TableName: db().names.audit, ConsistentRead: true }))).Items ?? [];
  return items
    .filter((item) => item.requestId === requestId)
    .sort((a, b) => Number(a.seq) - Number(b.seq)) as {
    type: string;
    actor: string;
    detail?: Record<string, unknown>;
  }[];
}

describe('SigV4 at the door', () => {
  it.each([
    { description: 'an unsigned request', tamper: undefined, who: undefined },
    {
      description: 'a signature made with the wrong secret',
      who: 'dev' as const,
      tamper: (s: { headers: Record<string, string> }) => {
        s.headers.authorization = (s.headers.authorization ?? '').replace(
          /Signature=[0-9a-f]{4}/,
          'Signature=0000',
        );
      },
    },
    {
      description: 'a body swapped after signing',
      who: 'dev' as const,
      tamper: (s: { body: string }) => {
        s.body = JSON.stringify({ target: 'sandbox', reason: 'swapped' });
      },
    },
    {
      description: 'an unknown access key',
      who: 'dev' as const,
      tamper: (s: { headers: Record<string, string> }) => {
        s.headers.authorization = (s.headers.authorization ?? '').replace(
          API_KEYS.dev.id,
          'TESTKEYFORGED0000001',
        );
      },
    },
    {
      description: 'a request signed ten minutes ago (replayed)',
      who: 'dev' as const,
      tamper: (s: { headers: Record<string, string> }) => {
        const old = new Date(Date.now() - 10 * 60_000).toISOString().replace(/[-:]|\.\d{3}/g, '');
        s.headers['x-amz-date'] = old;
      },
    },
  ])('refuses $description with 403 and writes nothing', async ({ who, tamper }) => {
    const response = await callApi(
      api.gate,
      who,
      'POST',
      '/requests',
      { target: 'sandbox', reason: 'try' },
      tamper as never,
    );
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ error: 'NOT_AUTHORIZED' });
    expect(await storedItems()).toEqual([]);
    expect(queue.jobs).toEqual([]);
  });

  it('refuses a signed caller the policy cannot name as anyone (a root principal)', async () => {
    const response = await api.gate({
      method: 'GET',
      url: new URL('http://127.0.0.1:1/api/requests'),
      headers: {},
      body: '',
    });
    expect(response.statusCode).toBe(403);
  });
});

describe('refusals through the API', () => {
  // The refusals and approvals both doors share (the decision's field, reason and words) are
  // the tables of test/support/decision-tables.ts, run through Slack and this API by
  // same-decisions.test.ts; what is left here is the API's own.
  it('refuses an unmapped caller as nobody the policy lets request', async () => {
    const response = await call('stranger', 'POST', '/requests', { target: 'dev-group', reason: 'x' });
    expect(response.status).toBe(422);
    expect(await storedItems()).toEqual([]);
  });
});

describe('the channel on the trail', () => {
  const declaring =
    (client: string) =>
    (signed: { headers: Record<string, string> }): void =>
      void (signed.headers['x-jit-client'] = client);

  it('is cli when the jit CLI declares itself (x-jit-client), api without the header', async () => {
    const submitted = await callApi(
      api.gate,
      'dev',
      'POST',
      '/requests',
      { target: 'dev-group', reason: 'logs' },
      declaring('cli/0.1.0'),
    );
    expect(submitted.status).toBe(201);
    // Without the header (an SDK script, curl): api, whoever signed.
    expect((await call('lead', 'POST', '/requests/req-0001/approve')).status).toBe(200);
    // A value not worth recording is no declaration.
    await callApi(
      api.gate,
      'dev',
      'POST',
      '/requests',
      { target: 'sandbox', reason: 'x' },
      declaring('cli/1 <b>'),
    );

    const events = [...(await auditOf('req-0001')), ...(await auditOf('req-0002'))];
    expect(
      events.map((e) => [
        e.type,
        e.detail?.channel,
        e.detail?.client,
        auditChannelOf(e as Pick<AuditEvent, 'actor' | 'detail'>),
      ]),
    ).toEqual([
      ['request.submitted', 'cli', 'cli/0.1.0', 'cli'],
      ['request.approved', 'api', 'undeclared', 'api'],
      ['request.submitted', 'api', 'undeclared', 'api'],
      ['request.auto-approved', 'api', 'undeclared', 'system'],
    ]);
  });
});

describe('request, approve, credentials, release through the API', () => {
  it('submits, lists, is approved by a lead, issues credentials and releases; the trail names the api channel', async () => {
    const submitted = await call('dev', 'POST', '/requests', {
      target: 'dev-group',
      reason: 'Need logs',
      duration: '2h',
    });
    expect(submitted.status).toBe(201);
    expect(submitted.body).toMatchObject({
      outcome: 'pending',
      request: { id: 'req-0001', status: 'PENDING', durationSeconds: 7200 },
    });
    expect(api.events.kinds()).toEqual(['approval-needed']);

    const mine = await call('dev', 'GET', '/requests');
    expect(mine.body).toMatchObject({ pending: [{ id: 'req-0001' }], live: [] });
    // Someone else's request is not even confirmed to exist.
    expect((await call('lead', 'GET', '/requests/req-0001')).status).toBe(404);

    const selfApproval = await call('dev', 'POST', '/requests/req-0001/approve');
    expect(selfApproval).toMatchObject({ status: 422, body: { outcome: 'refused' } });

    const approved = await call('lead', 'POST', '/requests/req-0001/approve');
    expect(approved.body).toMatchObject({ outcome: 'approved', request: { status: 'APPROVED' } });
    expect(queue.jobs).toEqual([{ kind: 'activate', requestId: 'req-0001' }]);

    const audit = await auditOf('req-0001');
    expect(audit.map((e) => [e.type, e.actor, e.detail?.channel])).toEqual([
      ['request.submitted', 'UDEV1', 'api'],
      ['request.approved', 'ULEAD1', 'api'],
    ]);
    const released = await call('dev', 'POST', '/requests/req-0001/release');
    expect(released.body).toMatchObject({ outcome: 'release-requested' });
    expect(queue.jobs.at(-1)).toMatchObject({ kind: 'revoke', requestId: 'req-0001' });
  });

  it('issues role credentials to the holder of an active grant only', async () => {
    await call('dev', 'POST', '/requests', { target: 'prod-role', reason: 'incident', ticket: 'OPS-1' });
    await call('lead', 'POST', '/requests/req-0001/approve');
    await call('lead2', 'POST', '/requests/req-0001/approve');
    await activateGrant(
      { ...api.api.grants, delivery: { deliver: async () => {}, deliverFailure: async () => {} } },
      {
        requestId: 'req-0001',
        attempt: 1,
        maxAttempts: 3,
      },
    );

    const creds = await call('dev', 'POST', '/credentials', { target: 'prod-role' });
    expect(creds.status).toBe(200);
    expect(creds.body).toMatchObject({
      outcome: 'issued',
      requestId: 'req-0001',
      credentials: {
        accessKeyId: expect.any(String),
        secretAccessKey: expect.any(String),
        sessionToken: expect.any(String),
      },
    });
    const issued = (await auditOf('req-0001')).find((e) => e.type === 'session.issued');
    expect(issued?.detail?.channel).toBe('api');
    // Never in a log line.
    expect(JSON.stringify(api.logged)).not.toContain(
      (creds.body.credentials as { secretAccessKey: string }).secretAccessKey,
    );

    const other = await call('lead', 'POST', '/credentials', { target: 'prod-role' });
    expect(other).toMatchObject({ status: 422, body: { reason: 'no-live-grant' } });
    const byId = await call('lead', 'POST', '/credentials', { requestId: 'req-0001' });
    expect(byId.status).toBe(422);
  });

  it('cancels a pending request of the caller, and not of anyone else', async () => {
    await call('dev', 'POST', '/requests', { target: 'dev-group', reason: 'x' });
    expect((await call('lead', 'POST', '/requests/req-0001/cancel')).status).toBe(403);
    const cancelled = await call('dev', 'POST', '/requests/req-0001/cancel');
    expect(cancelled.body).toMatchObject({ outcome: 'cancelled', request: { status: 'CANCELLED' } });
    expect((await call('dev', 'POST', '/requests/req-0001/cancel')).status).toBe(409);
  });

  it('denies with a reason', async () => {
    await call('dev', 'POST', '/requests', { target: 'dev-group', reason: 'x' });
    const denied = await call('lead', 'POST', '/requests/req-0001/deny', { reason: 'not today' });
    expect(denied.body).toMatchObject({ outcome: 'denied', request: { status: 'DENIED' } });
  });

  it('answers unknown paths 404, wrong methods 405 and bad bodies 400', async () => {
    expect((await call('dev', 'GET', '/nowhere')).status).toBe(404);
    expect((await call('dev', 'DELETE', '/requests')).status).toBe(405);
    expect((await call('dev', 'POST', '/requests', { target: 'dev-group', sneaky: true })).status).toBe(400);
    expect(await storedItems()).toEqual([]);
  });
});

describe('a scheduled grant through the API', () => {
  it('submits a future window, lists the approved grant as scheduled (not live) until its start, and cancels it', async () => {
    const start = new Date(clock.now().getTime() + 17 * 3600_000).toISOString();
    const submitted = await call('dev', 'POST', '/requests', {
      target: 'dev-group',
      reason: 'migration',
      duration: '2h',
      start,
    });
    expect(submitted.status).toBe(201);
    expect(submitted.body).toMatchObject({
      request: { id: 'req-0001', status: 'PENDING', scheduledStartsAt: start },
    });
    expect((await call('lead', 'POST', '/requests/req-0001/approve')).body).toMatchObject({
      outcome: 'approved',
    });

    // Approved, start ahead: listed with its window under `scheduled`, in the same request view.
    const mine = await call('dev', 'GET', '/requests');
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({
      pending: [],
      live: [],
      scheduled: [
        {
          id: 'req-0001',
          target: 'dev-group',
          status: 'APPROVED',
          startsAt: start,
          scheduledStartsAt: start,
          endsAt: new Date(Date.parse(start) + 7200_000).toISOString(),
        },
      ],
    });

    // The requester cancels it before its start: nothing was granted, nothing is listed.
    const cancelled = await call('dev', 'POST', '/requests/req-0001/cancel');
    expect(cancelled.body).toMatchObject({ outcome: 'cancelled', request: { status: 'CANCELLED' } });
    expect((await call('dev', 'GET', '/requests')).body).toMatchObject({
      pending: [],
      live: [],
      scheduled: [],
    });
    expect((await auditOf('req-0001')).map((e) => [e.type, e.detail?.channel])).toEqual([
      ['request.submitted', 'api'],
      ['request.approved', 'api'],
      ['request.cancelled', 'api'],
    ]);
  });

  it('refuses a start past maxLeadTime with the decision reason and writes nothing', async () => {
    const response = await call('dev', 'POST', '/requests', {
      target: 'dev-group',
      reason: 'too early',
      start: new Date(clock.now().getTime() + 30 * 86_400_000).toISOString(),
    });
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ outcome: 'refused', field: 'start' });
    expect(await storedItems()).toEqual([]);
  });

  it('refuses a start that is not a time with 400', async () => {
    const response = await call('dev', 'POST', '/requests', {
      target: 'dev-group',
      reason: 'x',
      start: 'tomorrow 02:00',
    });
    expect(response.status).toBe(400);
    expect(await storedItems()).toEqual([]);
  });
});
