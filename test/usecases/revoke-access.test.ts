import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { itemToAuditEvent } from '../../shared/adapters/dynamodb/audit-log.js';
import { AUDIT_INDEX } from '../../shared/adapters/dynamodb/tables.js';
import type { AuditEvent } from '../../shared/domain/audit.js';
import type { RequestDeps } from '../../shared/usecases/deps.js';
import { revokeGrantJob } from '../../shared/usecases/revoke-grant.js';
import { listRevocableGrants, revokeAccess, revokeAllAccess } from '../../shared/usecases/revoke-access.js';
import { grantRecord, grantWorld, storeGrants } from '../support/fake-aws.js';
import { ManualClock, RecordingQueue, SequentialIds, person, silentLogger } from '../support/fakes.js';
import { useLocalTables } from '../support/local-dynamo.js';

/**
 * Revoking someone else's grant, through the use cases on DynamoDB Local with the manual
 * clock: the revoke use case stores the end and queues the job; the grant worker's job
 * removes the access, writes REVOKED and seals it like any early end.
 */

const db = useLocalTables();
const START = '2026-11-27T09:00:00.000Z';
const END = '2026-11-27T11:00:00.000Z';

function world() {
  const clock = new ManualClock();
  clock.set('2026-11-27T09:30:00.000Z');
  const grants = grantWorld({ store: db().requests, audit: db().audit, clock });
  const queue = new RecordingQueue();
  const deps: RequestDeps = {
    store: db().requests,
    audit: db().audit,
    policy: grants.deps.policy,
    clock,
    ids: new SequentialIds(),
    events: grants.events,
    queue,
    logger: silentLogger,
  };
  return { deps, grants, queue, clock };
}

async function auditOf(requestId: string): Promise<AuditEvent[]> {
  const { Items = [] } = await db().doc.send(
    new QueryCommand({
      TableName: db().names.audit,
      IndexName: AUDIT_INDEX.byRequest,
      KeyConditionExpression: 'requestId = :id',
      ExpressionAttributeValues: { ':id': requestId },
    }),
  );
  return Items.map(itemToAuditEvent).sort((a, b) => a.at.localeCompare(b.at) || a.seq - b.seq);
}

/** Runs every queued revoke job through the grant worker's use case. */
async function runJobs(w: ReturnType<typeof world>) {
  for (const job of w.queue.jobs.splice(0)) {
    if (job.kind !== 'revoke') continue;
    await revokeGrantJob(w.grants.deps, { ...job, attempt: 1, maxAttempts: 5 });
  }
}

describe('revokeAccess', () => {
  it('by an approver: stores the end, the worker removes the access, writes REVOKED with actor and reason, and seals it', async () => {
    const w = world();
    await storeGrants(w.grants, [
      grantRecord({ id: 'req-1', status: 'ACTIVE', startsAt: START, endsAt: END }),
    ]);
    w.grants.groups.put('jit-developers', 'alice');

    const result = await revokeAccess(w.deps, {
      requestId: 'req-1',
      revoker: person('ULEAD2'),
      reason: 'left the project',
    });
    expect(result).toMatchObject({ outcome: 'requested', as: 'approver' });
    expect(w.queue.jobs).toEqual([
      { kind: 'revoke', requestId: 'req-1', actor: 'ULEAD2', reason: 'left the project' },
    ]);
    expect((await db().requests.get('req-1'))?.endRequest).toMatchObject({
      kind: 'revoke',
      by: 'ULEAD2',
      reason: 'left the project',
    });

    await runJobs(w);
    expect(await db().requests.get('req-1')).toMatchObject({
      status: 'REVOKED',
      decidedBy: 'ULEAD2',
      decisionReason: 'left the project',
    });
    expect(w.grants.groups.members('jit-developers')).toEqual([]);
    // The removal, then the seal after the REVOKED write.
    expect(w.grants.groups.calls.filter((c) => c.op === 'remove')).toHaveLength(2);
    const trail = await auditOf('req-1');
    expect(trail.map((e) => [e.type, e.actor, e.reason])).toEqual([
      ['grant.activated', 'system:grant-worker', undefined],
      ['grant.end-requested', 'ULEAD2', 'left the project'],
      ['grant.revoked', 'ULEAD2', 'left the project'],
    ]);
    expect(w.grants.events.kinds()).toEqual(['grant-ended']);
  });

  it('by security on a role grant: the live sessions are denied (sealed)', async () => {
    const w = world();
    await storeGrants(w.grants, [
      grantRecord({ id: 'req-1', status: 'ACTIVE', startsAt: START, endsAt: END, targetId: 'prod-role' }),
    ]);
    await revokeAccess(w.deps, { requestId: 'req-1', revoker: person('USEC1'), reason: 'suspicious calls' });
    await runJobs(w);
    expect((await db().requests.get('req-1'))?.status).toBe('REVOKED');
    expect(w.grants.denyList.denies.map((d) => d.principal)).toContain('alice');
  });

  it('by someone who is neither an approver nor security: refused, and nothing changes', async () => {
    const w = world();
    await storeGrants(w.grants, [
      grantRecord({ id: 'req-1', status: 'ACTIVE', startsAt: START, endsAt: END }),
    ]);
    const before = await db().requests.get('req-1');
    const result = await revokeAccess(w.deps, {
      requestId: 'req-1',
      revoker: person('UDEV2'),
      reason: 'I do not like it',
    });
    expect(result).toMatchObject({ outcome: 'refused', reason: 'not-a-revoker' });
    expect(await db().requests.get('req-1')).toEqual(before);
    expect(w.queue.jobs).toEqual([]);
    expect((await auditOf('req-1')).map((e) => e.type)).toEqual(['grant.activated']);
  });

  it('an ended grant is refused as not live', async () => {
    const w = world();
    await storeGrants(w.grants, [
      grantRecord({ id: 'req-1', status: 'EXPIRED', startsAt: START, endsAt: END }),
    ]);
    const result = await revokeAccess(w.deps, { requestId: 'req-1', revoker: person('USEC1'), reason: 'x' });
    expect(result).toMatchObject({ outcome: 'refused', reason: 'not-live' });
  });
});

describe('revokeAllAccess (incident response)', () => {
  it('ends every live grant of the person (only those), as security, with one reason', async () => {
    const w = world();
    await storeGrants(w.grants, [
      grantRecord({ id: 'req-1', status: 'ACTIVE', startsAt: START, endsAt: END }),
      grantRecord({ id: 'req-2', status: 'APPROVED', startsAt: START, endsAt: END, targetId: 'prod-role' }),
      grantRecord({ id: 'req-3', status: 'EXPIRED', startsAt: START, endsAt: END }),
      grantRecord({ id: 'req-4', status: 'ACTIVE', startsAt: START, endsAt: END, requester: 'UDEV2' }),
    ]);
    const result = await revokeAllAccess(w.deps, {
      holder: 'UDEV1',
      revoker: person('USEC1'),
      reason: 'laptop stolen',
    });
    expect(result.outcome).toBe('requested');
    expect(result.outcome === 'requested' && result.revoked.map((g) => g.id).sort()).toEqual([
      'req-1',
      'req-2',
    ]);
    await runJobs(w);
    expect((await db().requests.get('req-1'))?.status).toBe('REVOKED');
    expect((await db().requests.get('req-2'))?.status).toBe('REVOKED');
    expect((await db().requests.get('req-3'))?.status).toBe('EXPIRED');
    expect((await db().requests.get('req-4'))?.status).toBe('ACTIVE');
  });

  it('only on one target when given', async () => {
    const w = world();
    await storeGrants(w.grants, [
      grantRecord({ id: 'req-1', status: 'ACTIVE', startsAt: START, endsAt: END }),
      grantRecord({ id: 'req-2', status: 'ACTIVE', startsAt: START, endsAt: END, targetId: 'prod-role' }),
    ]);
    await revokeAllAccess(w.deps, {
      holder: 'UDEV1',
      targetId: 'prod-role',
      revoker: person('USEC1'),
      reason: 'x',
    });
    expect(w.queue.jobs.map((j) => j.requestId)).toEqual(['req-2']);
  });

  it('is refused to an approver who is not security, and writes nothing', async () => {
    const w = world();
    await storeGrants(w.grants, [
      grantRecord({ id: 'req-1', status: 'ACTIVE', startsAt: START, endsAt: END }),
    ]);
    const result = await revokeAllAccess(w.deps, { holder: 'UDEV1', revoker: person('ULEAD1'), reason: 'x' });
    expect(result).toMatchObject({ outcome: 'refused', reason: 'not-security' });
    expect(w.queue.jobs).toEqual([]);
    expect((await db().requests.get('req-1'))?.endRequest).toBeUndefined();
  });
});

describe('listRevocableGrants', () => {
  it('lists everyone’s live grants to security, and nothing to anyone else', async () => {
    const w = world();
    await storeGrants(w.grants, [
      grantRecord({ id: 'req-1', status: 'ACTIVE', startsAt: START, endsAt: END }),
      grantRecord({ id: 'req-2', status: 'EXPIRED', startsAt: START, endsAt: END }),
    ]);
    expect(await listRevocableGrants(w.deps, person('USEC1'))).toEqual({
      grants: [expect.objectContaining({ id: 'req-1' })],
      more: 0,
    });
    expect(await listRevocableGrants(w.deps, person('ULEAD1'))).toEqual({ grants: [], more: 0 });
  });

  it('lists the newest `limit` grants and counts the others', async () => {
    const w = world();
    const starts = ['09:00', '09:20', '09:10', '09:05', '09:25'];
    await storeGrants(
      w.grants,
      starts.map((at, i) =>
        grantRecord({
          id: `req-${i + 1}`,
          status: 'ACTIVE',
          startsAt: `2026-11-27T${at}:00.000Z`,
          endsAt: END,
        }),
      ),
    );
    const listed = await listRevocableGrants(w.deps, person('USEC1'), 3);
    expect(listed.grants.map((g) => g.id)).toEqual(['req-5', 'req-2', 'req-3']);
    expect(listed.more).toBe(2);
  });
});
