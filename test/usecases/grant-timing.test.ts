import { describe, expect, it } from 'vitest';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createSweeperHandler } from '../../functions/sweeper/handler.js';
import { AUDIT_INDEX } from '../../shared/adapters/dynamodb/tables.js';
import { activateGrant } from '../../shared/usecases/activate-grant.js';
import { approveRequest } from '../../shared/usecases/approve-request.js';
import { cancelRequest } from '../../shared/usecases/cancel-request.js';
import { extendWithGrace } from '../../shared/usecases/grace-extension.js';
import { submitRequest } from '../../shared/usecases/submit-request.js';
import { grantWorld } from '../support/fake-aws.js';
import { fakeWorld, person, TEST_POLICY_YAML } from '../support/fakes.js';
import { useLocalTables } from '../support/local-dynamo.js';

/** The test policy with a grace extension on dev-group (30m, once, maxDuration 8h). */
const POLICY_YAML = TEST_POLICY_YAML.replace(
  'maxDuration: 8h }',
  'maxDuration: 8h, graceExtension: { max: 30m } }',
);
const START = '2026-11-27T09:00:00.000Z';
const logger = { info: () => undefined, error: () => undefined };
const db = useLocalTables();

/** Request-side and grant-side ports over one DynamoDB Local store and one manual clock. */
function world() {
  const request = fakeWorld(POLICY_YAML);
  request.clock.set(START);
  const deps = { ...request.deps, store: db().requests, audit: db().audit };
  const grant = grantWorld({
    store: db().requests,
    audit: db().audit,
    clock: request.clock,
    policyYaml: POLICY_YAML,
  });
  const sweep = createSweeperHandler({ deps: grant.deps, requestDeps: deps, concurrency: 2, logger });
  /** Runs the activation jobs queued so far, as the grant worker would. */
  const work = async () => {
    const jobs = request.queue.jobs.splice(0);
    for (const job of jobs)
      if (job.kind === 'activate')
        await activateGrant(grant.deps, { requestId: job.requestId, attempt: 1, maxAttempts: 3 });
  };
  return { ...request, deps, grant, sweep, work };
}

async function approvedGroupGrant(w: ReturnType<typeof world>, startsAt?: Date) {
  const submitted = await submitRequest(w.deps, {
    requester: person('UDEV1'),
    principal: 'alice',
    targetId: 'dev-group',
    durationSeconds: 3600,
    reason: 'deploy',
    ...(startsAt ? { startsAt } : {}),
  });
  if (submitted.outcome === 'refused') throw new Error(submitted.message);
  const approved = await approveRequest(w.deps, {
    requestId: submitted.request.id,
    approver: person('ULEAD1'),
  });
  expect(approved.outcome).toBe('approved');
  return submitted.request.id;
}

/** The audit event types of one request, in order. */
async function readAudit(requestId: string): Promise<string[]> {
  const { Items = [] } = await db().doc.send(
    new QueryCommand({
      TableName: db().names.audit,
      IndexName: AUDIT_INDEX.byRequest,
      KeyConditionExpression: 'requestId = :id',
      ExpressionAttributeValues: { ':id': requestId },
    }),
  );
  return Items.map((item) => String(item.type));
}

describe('expiry warning and grace extension (DynamoDB Local, manual clock)', () => {
  it('warns the holder exactly once across several sweeps, inside warnBefore of the end', async () => {
    const w = world();
    const id = await approvedGroupGrant(w);
    await w.work();
    expect((await db().requests.get(id))?.status).toBe('ACTIVE');
    w.clock.advance(49 * 60); // 11 minutes left: not yet
    expect((await w.sweep({})).warned).toBe(0);
    let warned = 0;
    for (let run = 0; run < 4; run++) {
      w.clock.advance(60);
      warned += (await w.sweep({})).warned ?? 0;
    }
    expect(warned).toBe(1);
    expect(w.events.kinds().filter((k) => k === 'grant-expiring')).toHaveLength(1);
    expect((await db().requests.get(id))?.expiryWarnedAt).toBe('2026-11-27T09:50:00.000Z');
    expect((await readAudit(id)).filter((t) => t === 'grant.expiry-warned')).toHaveLength(1);
  });

  it('a grace extension is approved at once, keeps access without a gap, and only once', async () => {
    const w = world();
    const id = await approvedGroupGrant(w);
    await w.work();
    w.clock.advance(55 * 60);
    await w.sweep({});
    const tap = () =>
      extendWithGrace(w.deps, { requestId: id, requester: person('UDEV1'), principal: 'alice' });
    const result = await tap();
    if (result.outcome !== 'approved') throw new Error(result.message);
    expect(result.request).toMatchObject({
      status: 'APPROVED',
      grace: true,
      extendsRequestId: id,
      decidedBy: 'system:grace-extension',
      startsAt: '2026-11-27T09:55:00.000Z',
      endsAt: '2026-11-27T10:30:00.000Z',
    });
    expect((await db().requests.get(id))?.graceExtendedBy).toBe(result.request.id);
    expect(await readAudit(id)).toContain('grant.grace-extended');
    expect(await readAudit(result.request.id)).toEqual(['request.submitted', 'request.auto-approved']);
    // Second tap, on the grant or on its extension: the budget is once per grant.
    expect(await tap()).toMatchObject({ outcome: 'refused', reason: 'grace-used' });
    await w.work();
    expect(
      await extendWithGrace(w.deps, {
        requestId: result.request.id,
        requester: person('UDEV1'),
        principal: 'alice',
      }),
    ).toMatchObject({ outcome: 'refused', reason: 'grace-used' });
    // The first grant ends on time; the membership stays for the extension, then goes with it.
    w.clock.set('2026-11-27T10:00:30.000Z');
    await w.sweep({});
    expect((await db().requests.get(id))?.status).toBe('EXPIRED');
    expect(w.grant.groups.isMember('jit-developers', 'alice')).toBe(true);
    w.clock.set('2026-11-27T10:30:30.000Z');
    await w.sweep({});
    expect((await db().requests.get(result.request.id))?.status).toBe('EXPIRED');
    expect(w.grant.groups.isMember('jit-developers', 'alice')).toBe(false);
  });

  it('refuses a grace extension past maxDuration from the original start, writing nothing', async () => {
    const w = world();
    const submitted = await submitRequest(w.deps, {
      requester: person('UDEV1'),
      principal: 'alice',
      targetId: 'dev-group',
      durationSeconds: 8 * 3600,
      reason: 'long migration',
    });
    if (submitted.outcome === 'refused') throw new Error(submitted.message);
    await approveRequest(w.deps, { requestId: submitted.request.id, approver: person('ULEAD1') });
    await w.work();
    w.clock.advance(8 * 3600 - 300);
    const before = await db().requests.get(submitted.request.id);
    expect(
      await extendWithGrace(w.deps, {
        requestId: submitted.request.id,
        requester: person('UDEV1'),
        principal: 'alice',
      }),
    ).toMatchObject({ outcome: 'refused', reason: 'past-max-duration' });
    expect((await db().requests.get(submitted.request.id))?.version).toBe(before?.version);
  });
});

describe('scheduled start (DynamoDB Local, manual clock)', () => {
  const START_AT = new Date('2026-11-27T11:00:00.000Z');

  it('is approved now, not active before its start, and active within one sweep after', async () => {
    const w = world();
    const id = await approvedGroupGrant(w, START_AT);
    const approved = await db().requests.get(id);
    // The clock never starts at the approval: the window is the one asked for.
    expect(approved).toMatchObject({
      status: 'APPROVED',
      scheduledStartsAt: START_AT.toISOString(),
      startsAt: START_AT.toISOString(),
      endsAt: '2026-11-27T12:00:00.000Z',
    });
    expect(w.queue.jobs).toEqual([]);
    w.clock.set('2026-11-27T10:59:00.000Z');
    expect((await w.sweep({})).started).toBe(0);
    // Even a job sent early activates nothing before the start.
    expect((await activateGrant(w.grant.deps, { requestId: id, attempt: 1, maxAttempts: 3 })).outcome).toBe(
      'not-started',
    );
    expect(w.grant.groups.isMember('jit-developers', 'alice')).toBe(false);
    w.clock.set('2026-11-27T11:00:30.000Z');
    expect((await w.sweep({})).started).toBe(1);
    await w.work();
    expect((await db().requests.get(id))?.status).toBe('ACTIVE');
    expect(w.grant.groups.isMember('jit-developers', 'alice')).toBe(true);
  });

  it('can be cancelled by its requester before its start, and then never starts', async () => {
    const w = world();
    const id = await approvedGroupGrant(w, START_AT);
    await expect(cancelRequest(w.deps, { requestId: id, requester: 'UDEV2' })).rejects.toThrow();
    expect((await cancelRequest(w.deps, { requestId: id, requester: 'UDEV1' })).status).toBe('CANCELLED');
    expect(await readAudit(id)).toEqual(['request.submitted', 'request.approved', 'request.cancelled']);
    w.clock.set('2026-11-27T11:00:30.000Z');
    const run = await w.sweep({});
    expect(run.started).toBe(0);
    expect(w.queue.jobs).toEqual([]);
    expect(w.grant.groups.isMember('jit-developers', 'alice')).toBe(false);
  });

  it('does not keep a membership alive between the end of a grant and a later scheduled start', async () => {
    const w = world();
    const now = await approvedGroupGrant(w);
    await w.work();
    const later = await approvedGroupGrant(w, new Date('2026-11-27T12:00:00.000Z'));
    w.clock.set('2026-11-27T10:00:30.000Z');
    await w.sweep({});
    expect((await db().requests.get(now))?.status).toBe('EXPIRED');
    expect((await db().requests.get(later))?.status).toBe('APPROVED');
    expect(w.grant.groups.isMember('jit-developers', 'alice')).toBe(false);
  });

  it.each([
    { description: 'a start in the past', startsAt: '2026-11-27T08:59:00.000Z', reason: 'start-in-past' },
    {
      description: 'a lead time over maxLeadTime (7d)',
      startsAt: '2026-12-04T09:00:01.000Z',
      reason: 'lead-time-too-long',
    },
  ])('refuses $description and writes nothing', async ({ startsAt, reason }) => {
    const w = world();
    const result = await submitRequest(w.deps, {
      requester: person('UDEV1'),
      principal: 'alice',
      targetId: 'dev-group',
      reason: 'later',
      startsAt: new Date(startsAt),
    });
    expect(result).toMatchObject({ outcome: 'refused', reason, field: 'start' });
    expect(await db().requests.get('req-0001')).toBeUndefined();
  });
});
