import { describe, expect, it } from 'vitest';
import { createSweeperHandler } from '../../../functions/sweeper/handler.js';
import { fakeWorld } from '../../support/fakes.js';
import { grantRecord, grantWorld, storeGrants } from '../../support/fake-aws.js';

const START = '2026-11-27T09:00:00.000Z';
const logger = { info: () => undefined, error: () => undefined };

describe('sweeper handler', () => {
  it('sweeps expired grants, then follows up pending requests', async () => {
    const request = fakeWorld();
    const w = grantWorld({ store: request.store, audit: request.audit, clock: request.clock });
    const grant = grantRecord({
      id: 'g-1',
      status: 'ACTIVE',
      startsAt: START,
      endsAt: '2026-11-27T09:30:00.000Z',
    });
    await w.store.create(grant, {
      type: 'grant.activated',
      at: START,
      actor: 'x',
      subject: 'UDEV1',
      targetId: 'dev-group',
      requestId: 'g-1',
      breakGlass: false,
    });
    const pending = grantRecord({
      id: 'p-1',
      status: 'PENDING',
      startsAt: START,
      endsAt: START,
      createdAt: '2026-11-27T03:00:00.000Z',
    });
    await w.store.create(pending, {
      type: 'request.submitted',
      at: START,
      actor: 'UDEV1',
      subject: 'UDEV1',
      targetId: 'dev-group',
      requestId: 'p-1',
      breakGlass: false,
    });
    w.clock.set('2026-11-27T09:31:00.000Z');

    const run = await createSweeperHandler({
      deps: w.deps,
      requestDeps: request.deps,
      concurrency: 2,
      logger,
    })(
      {},
      {
        getRemainingTimeInMillis: () => 50_000,
      },
    );

    expect(run.sweep).toMatchObject({ ended: 1, failed: 0 });
    expect(run.followUp).toEqual({ renotified: 0, timedOut: 1, escalated: 0 });
    expect((await w.store.get('g-1'))?.status).toBe('EXPIRED');
    expect((await w.store.get('p-1'))?.status).toBe('TIMED_OUT');
  });

  it('resends the hand-off of a grant approved minutes ago that the worker never activated', async () => {
    const request = fakeWorld();
    const w = grantWorld({ store: request.store, audit: request.audit, clock: request.clock });
    await storeGrants(w, [
      grantRecord({ id: 'a-1', status: 'APPROVED', startsAt: START, endsAt: '2026-11-27T11:00:00.000Z' }),
    ]);
    w.clock.set('2026-11-27T09:05:00.000Z');
    const run = await createSweeperHandler({
      deps: w.deps,
      requestDeps: request.deps,
      concurrency: 2,
      logger,
    })({}, { getRemainingTimeInMillis: () => 50_000 });
    expect(run.resent).toBe(1);
    expect(request.queue.jobs).toEqual([{ kind: 'activate', requestId: 'a-1' }]);
  });

  it('takes no new page when the invocation is about to time out', async () => {
    const w = grantWorld();
    const run = await createSweeperHandler({
      deps: w.deps,
      requestDeps: fakeWorld().deps,
      concurrency: 2,
      logger,
    })(
      {},
      {
        getRemainingTimeInMillis: () => 5_000,
      },
    );
    expect(run.sweep.stoppedEarly).toBe(true);
  });

  it.each([
    { description: 'the sweep stopped early', remaining: [5_000], stoppedEarly: true },
    {
      description: 'the sweep finished with too little time left',
      remaining: [50_000, 9_000],
      stoppedEarly: false,
    },
  ])(
    'leaves the pending follow-up to the next run when $description',
    async ({ remaining, stoppedEarly }) => {
      const request = fakeWorld();
      const w = grantWorld({ store: request.store, audit: request.audit, clock: request.clock });
      const pending = grantRecord({
        id: 'p-1',
        status: 'PENDING',
        startsAt: START,
        endsAt: START,
        createdAt: '2026-11-27T03:00:00.000Z',
      });
      await w.store.create(pending, {
        type: 'request.submitted',
        at: START,
        actor: 'UDEV1',
        subject: 'UDEV1',
        targetId: 'dev-group',
        requestId: 'p-1',
        breakGlass: false,
      });
      w.clock.set('2026-11-27T09:31:00.000Z');
      const left = [...remaining];
      const lastLeft = remaining.at(-1) ?? 0;

      const run = await createSweeperHandler({
        deps: w.deps,
        requestDeps: request.deps,
        concurrency: 2,
        logger,
      })({}, { getRemainingTimeInMillis: () => left.shift() ?? lastLeft });

      expect(run.sweep.stoppedEarly).toBe(stoppedEarly);
      expect(run.followUp).toBeUndefined();
      expect((await w.store.get('p-1'))?.status).toBe('PENDING');
    },
  );

  it('when another grant becomes live during a removal, hands a restore-membership job to the worker and never adds', async () => {
    const w = grantWorld({ repairs: 'queue' });
    const activated = (id: string) => ({
      type: 'grant.activated' as const,
      at: START,
      actor: 'x',
      subject: 'UDEV1',
      targetId: 'dev-group',
      requestId: id,
      breakGlass: false,
    });
    await w.store.create(
      grantRecord({ id: 'g-1', status: 'ACTIVE', startsAt: START, endsAt: '2026-11-27T09:30:00.000Z' }),
      activated('g-1'),
    );
    w.groups.put('jit-developers', 'alice');
    const remove = w.groups.remove.bind(w.groups);
    w.groups.remove = async (group, user) => {
      const out = await remove(group, user);
      await w.store.create(
        grantRecord({ id: 'g-2', status: 'ACTIVE', startsAt: START, endsAt: '2026-11-27T12:00:00.000Z' }),
        activated('g-2'),
      );
      return out;
    };
    w.clock.set('2026-11-27T09:31:00.000Z');

    const run = await createSweeperHandler({
      deps: w.deps,
      requestDeps: fakeWorld().deps,
      concurrency: 2,
      logger,
    })({}, { getRemainingTimeInMillis: () => 50_000 });

    expect(run.sweep).toMatchObject({ ended: 1, failed: 0 });
    expect(w.repairQueue.jobs).toEqual([{ kind: 'restore-membership', requestId: 'g-2' }]);
    expect(w.groups.calls.filter((c) => c.op === 'add')).toEqual([]);
  });
});
