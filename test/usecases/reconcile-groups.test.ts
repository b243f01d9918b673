import { describe, expect, it } from 'vitest';
import { reconcileGroups } from '../../shared/usecases/reconcile-groups.js';
import type { InMemoryAuditLog } from '../support/fakes.js';
import { grantRecord, grantWorld, storeGrants, throttled } from '../support/fake-aws.js';

const START = '2026-11-27T09:00:00.000Z';

async function seeded() {
  const w = grantWorld();
  const grant = grantRecord({
    id: 'req-1',
    status: 'ACTIVE',
    principal: 'alice',
    startsAt: START,
    endsAt: '2026-11-27T10:00:00.000Z',
  });
  await storeGrants(w, [grant]);
  w.groups.put('jit-developers', 'alice', 'mallory');
  w.groups.put('jit-sandbox', 'bob');
  return w;
}

describe('reconcileGroups', () => {
  it('reports members of managed groups who hold no live grant, and leaves them when removal is off', async () => {
    const w = await seeded();
    const report = await reconcileGroups(w.deps, { remove: false });
    expect(report.groupsChecked).toBe(2);
    expect(report.findings).toEqual([
      { targetId: 'dev-group', groupName: 'jit-developers', member: 'mallory', removed: false },
      { targetId: 'sandbox', groupName: 'jit-sandbox', member: 'bob', removed: false },
    ]);
    expect(w.groups.members('jit-developers')).toEqual(['alice', 'mallory']);
    const events = (w.audit as InMemoryAuditLog).events.filter((e) => e.type.startsWith('drift.'));
    expect(events.map((e) => [e.type, e.subject, e.targetId])).toEqual([
      ['drift.detected', 'mallory', 'dev-group'],
      ['drift.detected', 'bob', 'sandbox'],
    ]);
    expect(w.metrics.get('DriftDetected')).toBe(2);
  });

  it('removes standing members when configured, keeping those with a live grant', async () => {
    const w = await seeded();
    const report = await reconcileGroups(w.deps, { remove: true });
    expect(report.findings.map((f) => [f.member, f.removed])).toEqual([
      ['mallory', true],
      ['bob', true],
    ]);
    expect(w.groups.members('jit-developers')).toEqual(['alice']);
    expect(w.groups.members('jit-sandbox')).toEqual([]);
    expect((w.audit as InMemoryAuditLog).types().filter((t) => t === 'drift.removed')).toHaveLength(2);
  });

  it('reports a removal that failed and goes on with the next member', async () => {
    const w = await seeded();
    w.groups.failNext('remove', throttled());
    const report = await reconcileGroups(w.deps, { remove: true });
    expect(report.findings[0]).toMatchObject({
      member: 'mallory',
      removed: false,
      error: expect.stringContaining('Throttling'),
    });
    expect(report.findings[1]).toMatchObject({ member: 'bob', removed: true });
  });
});

describe('reconcileGroups: IAM user names are case-insensitive', () => {
  it('counts a live grant for "alice" as covering the IAM user "Alice": no drift, no removal, nothing missing', async () => {
    const w = grantWorld({ repairs: 'queue' });
    await storeGrants(w, [
      grantRecord({
        id: 'req-1',
        status: 'ACTIVE',
        principal: 'alice',
        startsAt: START,
        endsAt: '2026-11-27T10:00:00.000Z',
      }),
    ]);
    w.groups.put('jit-developers', 'Alice', 'mallory');
    w.clock.set('2026-11-27T09:30:00.000Z');
    const report = await reconcileGroups(w.deps, { remove: true });
    expect(report.findings.map((f) => [f.member, f.removed])).toEqual([['mallory', true]]);
    expect(report.missing).toEqual([]);
    expect(w.repairQueue.jobs).toEqual([]);
    expect(w.groups.members('jit-developers')).toEqual(['Alice']);
    const subjects = (w.audit as InMemoryAuditLog).events
      .filter((e) => e.type.startsWith('drift.'))
      .map((e) => e.subject);
    expect(subjects).toEqual(['mallory', 'mallory']);
  });

  it('reads the live grants once, not once per member', async () => {
    const w = await seeded();
    const store = w.deps.store;
    const calls: string[] = [];
    const counting = new Proxy(store, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(String(key));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    await reconcileGroups({ ...w.deps, store: counting }, { remove: false });
    expect(calls).toEqual(['listLiveEndingBefore']);
  });

  it('re-checks before removing: a grant approved since the first look keeps its member, whatever the case', async () => {
    const w = await seeded();
    w.groups.put('jit-sandbox', 'Carol');
    const listMembers = w.groups.listMembers.bind(w.groups);
    // The grant lands after the live grants were read, while the groups are being listed.
    w.groups.listMembers = async (group) => {
      if (group === 'jit-sandbox') {
        await storeGrants(w, [
          grantRecord({
            id: 'req-late',
            principal: 'carol',
            targetId: 'sandbox',
            startsAt: '2026-11-27T11:00:00.000Z',
            endsAt: '2026-11-27T12:00:00.000Z',
          }),
        ]);
      }
      return listMembers(group);
    };
    const report = await reconcileGroups(w.deps, { remove: true });
    expect(report.findings.map((f) => [f.member, f.removed])).toEqual([
      ['mallory', true],
      ['Carol', false],
      ['bob', true],
    ]);
    expect(w.groups.members('jit-sandbox')).toEqual(['Carol']);
  });
});

describe('reconcileGroups: live grants missing their membership', () => {
  it('asks the worker to restore an active grant whose member is not in the group', async () => {
    const w = grantWorld({ repairs: 'queue' });
    const grant = grantRecord({
      id: 'req-1',
      status: 'ACTIVE',
      principal: 'alice',
      startsAt: START,
      endsAt: '2026-11-27T10:00:00.000Z',
    });
    await storeGrants(w, [grant]);
    w.clock.set('2026-11-27T09:30:00.000Z');
    const report = await reconcileGroups(w.deps, { remove: true });
    expect(report.missing).toEqual([
      { requestId: 'req-1', groupName: 'jit-developers', member: 'alice', restoreRequested: true },
    ]);
    expect(w.repairQueue.jobs).toEqual([{ kind: 'restore-membership', requestId: 'req-1' }]);
    // The reconciler itself never adds anyone.
    expect(w.groups.members('jit-developers')).toEqual([]);
  });

  it('restores in-process where the worker runs it, and leaves ended or role grants alone', async () => {
    const w = grantWorld();
    const grants = [
      grantRecord({
        id: 'req-1',
        status: 'ACTIVE',
        principal: 'alice',
        startsAt: START,
        endsAt: '2026-11-27T10:00:00.000Z',
      }),
      grantRecord({
        id: 'req-2',
        status: 'ACTIVE',
        principal: 'bob',
        startsAt: START,
        endsAt: '2026-11-27T09:10:00.000Z',
      }),
      grantRecord({
        id: 'req-3',
        status: 'ACTIVE',
        principal: 'carol',
        targetId: 'prod-role',
        targetKind: 'role',
        startsAt: START,
        endsAt: '2026-11-27T10:00:00.000Z',
      }),
    ];
    await storeGrants(w, grants);
    w.clock.set('2026-11-27T09:30:00.000Z');
    const report = await reconcileGroups(w.deps, { remove: false });
    expect(report.missing.map((m) => m.requestId)).toEqual(['req-1']);
    expect(w.groups.members('jit-developers')).toEqual(['alice']);
    expect((w.audit as InMemoryAuditLog).types('req-1')).toContain('grant.membership-restored');
  });
});

describe('reconcileGroups: scheduled grants', () => {
  const NOW = '2026-11-27T09:30:00.000Z';
  const LATER = '2026-11-27T11:00:00.000Z';
  const scheduled = (id: string, startsAt: string, endsAt: string) =>
    grantRecord({
      id,
      status: 'APPROVED',
      principal: 'alice',
      startsAt,
      endsAt,
      scheduledStartsAt: startsAt,
    });

  it.each([
    {
      description: 'an approved grant whose scheduled start is still ahead does not cover: alice is standing',
      grants: [scheduled('req-ahead', LATER, '2026-11-27T12:00:00.000Z')],
      kept: false,
    },
    {
      description: 'a scheduled grant whose start has come (the worker is activating it) covers alice',
      grants: [scheduled('req-due', '2026-11-27T09:15:00.000Z', '2026-11-27T10:15:00.000Z')],
      kept: true,
    },
    {
      description: 'a live grant covers alice even while a later scheduled grant of hers waits',
      grants: [
        grantRecord({
          id: 'req-live',
          status: 'ACTIVE',
          principal: 'alice',
          startsAt: START,
          endsAt: '2026-11-27T10:00:00.000Z',
        }),
        scheduled('req-ahead', LATER, '2026-11-27T12:00:00.000Z'),
      ],
      kept: true,
    },
    {
      description: 'an approved grant without a scheduled start (being activated) covers alice',
      grants: [grantRecord({ id: 'req-new', principal: 'alice', startsAt: NOW, endsAt: LATER })],
      kept: true,
    },
    {
      description: 'an overdue active grant (the sweeper is ending it) covers alice',
      grants: [
        grantRecord({
          id: 'req-over',
          status: 'ACTIVE',
          principal: 'alice',
          startsAt: START,
          endsAt: '2026-11-27T09:10:00.000Z',
        }),
      ],
      kept: true,
    },
  ])('$description', async ({ grants, kept }) => {
    const w = grantWorld({ repairs: 'queue' });
    await storeGrants(w, grants);
    w.groups.put('jit-developers', 'alice');
    w.clock.set(NOW);
    const report = await reconcileGroups(w.deps, { remove: true });
    expect(report.findings).toEqual(
      kept ? [] : [{ targetId: 'dev-group', groupName: 'jit-developers', member: 'alice', removed: true }],
    );
    expect(w.groups.members('jit-developers')).toEqual(kept ? ['alice'] : []);
    // A scheduled grant is no missing membership either: its access starts at its start.
    expect(report.missing).toEqual([]);
  });
});
