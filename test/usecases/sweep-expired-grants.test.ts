import { describe, expect, it } from 'vitest';
import { DynamoAuditQuery } from '../../shared/adapters/dynamodb/audit-query.js';
import type { AuditEvent } from '../../shared/domain/audit.js';
import type { RequestStore } from '../../shared/domain/ports.js';
import type { AccessRequest } from '../../shared/domain/request.js';
import type { RequestDeps } from '../../shared/usecases/deps.js';
import { releaseGrant } from '../../shared/usecases/release-grant.js';
import { revokeGrantJob } from '../../shared/usecases/revoke-grant.js';
import { sweepExpiredGrants } from '../../shared/usecases/sweep-expired-grants.js';
import { ManualClock, RecordingQueue, SequentialIds } from '../support/fakes.js';
import { grantRecord, grantWorld, seedGrants, storeGrants, throttled } from '../support/fake-aws.js';
import { useLocalTables } from '../support/local-dynamo.js';

const db = useLocalTables();
const START = '2026-11-27T09:00:00.000Z';
const at = (hhmm: string) => `2026-11-27T${hhmm}:00.000Z`;

function world(store?: RequestStore) {
  return grantWorld({ store: store ?? db().requests, audit: db().audit, clock: new ManualClock(START) });
}

async function seed(...grants: AccessRequest[]) {
  await seedGrants(db().doc, db().names.requests, grants);
}

const active = (id: string, endsAt: string, fields: Partial<AccessRequest> = {}) =>
  grantRecord({ id, status: 'ACTIVE', startsAt: START, endsAt, ...fields });

async function statusOf(id: string) {
  return (await db().requests.get(id))?.status;
}

describe('sweepExpiredGrants (DynamoDB Local)', () => {
  it('expires grants past their end, removes their access, and leaves running grants alone', async () => {
    const w = world();
    await seed(
      active('g-1', at('10:00'), { principal: 'alice' }),
      active('g-2', at('10:30'), { principal: 'bob', targetId: 'sandbox' }),
      active('r-1', at('10:15'), { principal: 'carol', targetId: 'prod-role', targetKind: 'role' }),
      active('g-3', at('12:00'), { principal: 'dave' }),
    );
    w.groups.put('jit-developers', 'alice', 'dave');
    w.groups.put('jit-sandbox', 'bob');
    w.clock.set(at('11:00'));

    const report = await sweepExpiredGrants(w.deps, { concurrency: 4 });

    expect(report).toMatchObject({ examined: 3, ended: 3, failed: 0, stoppedEarly: false });
    expect(await Promise.all(['g-1', 'g-2', 'r-1', 'g-3'].map(statusOf))).toEqual([
      'EXPIRED',
      'EXPIRED',
      'EXPIRED',
      'ACTIVE',
    ]);
    expect(w.groups.members('jit-developers')).toEqual(['dave']);
    expect(w.groups.members('jit-sandbox')).toEqual([]);
    expect(w.events.kinds()).toEqual(['grant-ended', 'grant-ended', 'grant-ended']);
    expect(w.denyList.prunes).toEqual(['arn:aws:iam::111122223333:role/jit/Prod']);
  });

  it('cleans up an APPROVED grant whose window ended before activation: removed, then FAILED', async () => {
    const w = world();
    await seed(grantRecord({ id: 'g-1', startsAt: START, endsAt: at('09:30') }));
    w.groups.put('jit-developers', 'alice');
    w.clock.set(at('09:31'));
    await sweepExpiredGrants(w.deps, { concurrency: 2 });
    expect(await statusOf('g-1')).toBe('FAILED');
    expect(w.groups.isMember('jit-developers', 'alice')).toBe(false);
  });

  it('keeps a membership shared by two overlapping grants until the later one ends', async () => {
    const w = world();
    await seed(active('g-early', at('10:00')), active('g-late', at('11:00')));
    w.groups.put('jit-developers', 'alice');

    w.clock.set(at('10:01'));
    await sweepExpiredGrants(w.deps, { concurrency: 2 });
    expect(await statusOf('g-early')).toBe('EXPIRED');
    expect(w.groups.isMember('jit-developers', 'alice')).toBe(true);

    w.clock.set(at('11:01'));
    await sweepExpiredGrants(w.deps, { concurrency: 2 });
    expect(await statusOf('g-late')).toBe('EXPIRED');
    expect(w.groups.isMember('jit-developers', 'alice')).toBe(false);
  });

  it.each([
    { description: 'IAM throttling', error: throttled() },
    {
      description: 'an IAM 5xx',
      error: Object.assign(throttled(), { message: 'ServiceFailure: internal error' }),
    },
  ])('$description leaves the grant live and alerting; the next sweep finishes it', async ({ error }) => {
    const w = world();
    await seed(active('g-1', at('10:00')));
    w.groups.put('jit-developers', 'alice');
    w.clock.set(at('10:00'));
    w.groups.failWhile = (op) => (op === 'remove' ? error : undefined);

    const first = await sweepExpiredGrants(w.deps, { concurrency: 2 });
    expect(first).toMatchObject({ examined: 1, ended: 0, failed: 1 });
    expect(await statusOf('g-1')).toBe('ACTIVE');
    expect(w.metrics.get('RevokeFailures')).toBe(1);
    expect(w.events.kinds()).toEqual(['revoke-failing']);

    w.groups.failWhile = undefined;
    w.clock.set(at('10:01'));
    const second = await sweepExpiredGrants(w.deps, { concurrency: 2 });
    expect(second).toMatchObject({ ended: 1, failed: 0 });
    expect(await statusOf('g-1')).toBe('EXPIRED');
    expect(w.groups.isMember('jit-developers', 'alice')).toBe(false);
  });

  it('repairs a crash between the IAM call and the state write on the next sweep', async () => {
    const base = db().requests;
    let crashes = 1;
    // The process "dies" right after IAM removed the membership: the state write never happens.
    const crashing: RequestStore = Object.assign(Object.create(base) as RequestStore, {
      transition: (...args: Parameters<RequestStore['transition']>) => {
        if (crashes-- > 0) return Promise.reject(new Error('Lambda killed'));
        return base.transition(...args);
      },
    });
    const w = world(crashing);
    await seed(active('g-1', at('10:00')));
    w.groups.put('jit-developers', 'alice');
    w.clock.set(at('10:05'));

    await sweepExpiredGrants(w.deps, { concurrency: 1 });
    expect(w.groups.isMember('jit-developers', 'alice')).toBe(false);
    expect(await statusOf('g-1')).toBe('ACTIVE');

    w.clock.set(at('10:06'));
    const next = await sweepExpiredGrants(w.deps, { concurrency: 1 });
    expect(next.ended).toBe(1);
    expect(await statusOf('g-1')).toBe('EXPIRED');
  });

  it('a sweep stopped half-way leaves the rest to the next one', async () => {
    const w = world();
    await seed(
      ...Array.from({ length: 30 }, (_, i) => active(`g-${i}`, at('10:00'), { principal: `user-${i}` })),
    );
    w.clock.set(at('10:01'));
    // The budget is spent once the first page's ten grants have ended.
    const first = await sweepExpiredGrants(w.deps, {
      concurrency: 5,
      pageSize: 10,
      shouldStop: () => (w.metrics.counts.get('GrantsExpired') ?? 0) >= 10,
    });
    expect(first).toMatchObject({ ended: 10, stoppedEarly: true });
    const second = await sweepExpiredGrants(w.deps, { concurrency: 5, pageSize: 10 });
    expect(second.ended).toBe(20);
    expect((await db().requests.listLiveEndingBefore(w.clock.now())).items).toHaveLength(0);
  });

  it('starts no further grant of a page once the time budget is spent; the next run ends them', async () => {
    const w = world();
    await seed(
      ...Array.from({ length: 10 }, (_, i) => active(`g-${i}`, at('10:00'), { principal: `user-${i}` })),
    );
    w.clock.set(at('10:01'));

    const first = await sweepExpiredGrants(w.deps, {
      concurrency: 1,
      pageSize: 100,
      shouldStop: () => (w.metrics.counts.get('GrantsExpired') ?? 0) >= 3,
    });

    expect(first).toMatchObject({ examined: 3, ended: 3, left: 7, stoppedEarly: true, pruned: 0 });
    expect(w.denyList.prunes).toEqual([]);
    const second = await sweepExpiredGrants(w.deps, { concurrency: 1 });
    expect(second).toMatchObject({ ended: 7, left: 0, stoppedEarly: false });
  });

  it('revokes all of 1,000 expired grants', { timeout: 180_000 }, async () => {
    const w = world();
    const grants = Array.from({ length: 1000 }, (_, i) =>
      active(`g-${String(i).padStart(4, '0')}`, at('10:00'), { principal: `user-${i}` }),
    );
    await seed(...grants);
    w.groups.put('jit-developers', ...grants.map((g) => g.principal));
    w.clock.set(at('10:01'));

    const report = await sweepExpiredGrants(w.deps, { concurrency: 16 });

    expect(report).toMatchObject({ examined: 1000, ended: 1000, failed: 0 });
    expect(w.groups.members('jit-developers')).toEqual([]);
    expect((await db().requests.listLiveEndingBefore(w.clock.now())).items).toHaveLength(0);
  });
});

describe('a requested early end is durable (DynamoDB Local)', () => {
  const MAX_ATTEMPTS = 5;

  async function eventsOf(requestId: string): Promise<AuditEvent[]> {
    const reader = new DynamoAuditQuery(db().doc, db().names.audit);
    const events: AuditEvent[] = [];
    for await (const event of reader.stream({ requestId }, new Date(at('23:59')))) events.push(event);
    return events.sort((a, b) => a.at.localeCompare(b.at) || a.seq - b.seq);
  }

  it.each([
    {
      description: 'a group grant (RemoveUserFromGroup keeps failing)',
      fields: {},
      failIam: (w: ReturnType<typeof world>, error: Error | undefined) => {
        w.groups.failWhile = error ? (op) => (op === 'remove' ? error : undefined) : undefined;
      },
      accessGone: (w: ReturnType<typeof world>) => !w.groups.isMember('jit-developers', 'alice'),
    },
    {
      description: 'a role grant (the deny on the role keeps failing)',
      fields: { targetId: 'prod-role', targetKind: 'role' as const },
      failIam: (w: ReturnType<typeof world>, error: Error | undefined) => {
        w.denyList.denySessionsIssuedBefore = error
          ? () => Promise.reject(error)
          : Object.getPrototypeOf(w.denyList).denySessionsIssuedBefore.bind(w.denyList);
      },
      accessGone: (w: ReturnType<typeof world>) => w.denyList.denies.some((d) => d.principal === 'alice'),
    },
  ])(
    'a release of $description outlives the queue: the sweeper ends it REVOKED as released, long before its end',
    async ({ fields, failIam, accessGone }) => {
      const w = world();
      const grant = active('g-1', at('17:00'), { requester: 'UDEV1', principal: 'alice', ...fields });
      await storeGrants(w, [grant]);
      w.groups.put('jit-developers', 'alice');
      const queue = new RecordingQueue();
      const requestDeps: RequestDeps = { ...w.deps, ids: new SequentialIds(), queue };
      w.clock.set(at('09:30'));
      failIam(w, throttled('iam:RemoveUserFromGroup'));

      await releaseGrant(requestDeps, { requestId: 'g-1', requester: 'UDEV1' });
      const [job] = queue.jobs;
      expect(job).toMatchObject({ kind: 'revoke', requestId: 'g-1', actor: 'UDEV1' });

      // Every delivery of the job fails, the last one included: the queue gives up.
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        await expect(
          revokeGrantJob(w.deps, {
            requestId: 'g-1',
            actor: 'UDEV1',
            reason: 'released by the requester',
            attempt,
            maxAttempts: MAX_ATTEMPTS,
          }),
        ).rejects.toThrow();
        w.clock.advance(60 * attempt);
      }
      // The sweeper keeps trying while IAM still fails; the grant stays live with its end request.
      const failing = await sweepExpiredGrants(w.deps, { concurrency: 2 });
      expect(failing).toMatchObject({ examined: 1, ended: 0, failed: 1 });
      expect(await db().requests.get('g-1')).toMatchObject({
        status: 'ACTIVE',
        endsAt: at('17:00'),
        endRequest: { kind: 'release', by: 'UDEV1', at: at('09:30'), reason: 'released by the requester' },
      });

      // IAM recovers: the next sweep ends it, as the holder's release.
      failIam(w, undefined);
      w.clock.advance(60);
      const endedAt = w.clock.now().toISOString();
      const report = await sweepExpiredGrants(w.deps, { concurrency: 2 });
      expect(report).toMatchObject({ examined: 1, ended: 1, failed: 0 });
      expect(await db().requests.get('g-1')).toMatchObject({
        status: 'REVOKED',
        decidedBy: 'UDEV1',
        decisionReason: 'released by the requester',
        endsAt: at('17:00'),
      });
      expect(Date.parse(endedAt)).toBeLessThan(Date.parse(at('11:00')));
      expect(accessGone(w)).toBe(true);
      const events = await eventsOf('g-1');
      expect(events.map((e) => e.type)).toEqual([
        'grant.activated',
        'grant.end-requested',
        ...Array.from({ length: MAX_ATTEMPTS + 1 }, () => 'grant.revoke-failed'),
        'grant.released',
      ]);
      expect(events.at(-1)).toMatchObject({ actor: 'UDEV1', toStatus: 'REVOKED', at: endedAt });
      expect(w.events.kinds().at(-1)).toBe('grant-ended');
      // Not found again: ended once.
      expect((await db().requests.listLiveEndingBefore(new Date(at('23:59')))).items).toHaveLength(0);
    },
  );

  it('stores the due time in the live-by-end index only: reads give back the window', async () => {
    const w = world();
    await storeGrants(w, [active('g-1', at('17:00'))]);
    w.clock.set(at('09:30'));
    const requestDeps: RequestDeps = { ...w.deps, ids: new SequentialIds(), queue: new RecordingQueue() };
    await releaseGrant(requestDeps, { requestId: 'g-1', requester: 'UDEV1' });
    await releaseGrant(requestDeps, { requestId: 'g-1', requester: 'UDEV1' }); // a double click
    const stored = await db().requests.get('g-1');
    expect(stored).toMatchObject({ endsAt: at('17:00'), version: 4 });
    expect(stored).not.toHaveProperty('windowEndsAt');
    const due = await db().requests.listLiveEndingBefore(new Date(at('09:31')));
    expect(due.items.map((g) => [g.id, g.endsAt])).toEqual([['g-1', at('17:00')]]);
    expect(await db().requests.listLiveFor('alice', 'dev-group')).toHaveLength(1);
  });
});
