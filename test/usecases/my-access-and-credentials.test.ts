import { describe, expect, it } from 'vitest';
import { NotAuthorizedError, ValidationError } from '../../shared/domain/errors.js';
import type { AccessRequest } from '../../shared/domain/request.js';
import { listMyAccess } from '../../shared/usecases/list-my-access.js';
import { requestCredentials } from '../../shared/usecases/request-credentials.js';
import { fakeWorld, person } from '../support/fakes.js';

function grant(overrides: Partial<AccessRequest>): AccessRequest {
  return {
    id: 'g1',
    requester: 'UDEV1',
    principal: 'dev1',
    targetId: 'prod-role',
    targetKind: 'role',
    durationSeconds: 3600,
    reason: 'r',
    status: 'ACTIVE',
    version: 2,
    createdAt: '2026-11-27T09:00:00.000Z',
    updatedAt: '2026-11-27T09:00:00.000Z',
    approvalsRequired: 1,
    approvals: [],
    startsAt: '2026-11-27T09:00:00.000Z',
    endsAt: '2026-11-27T10:00:00.000Z',
    breakGlass: false,
    ...overrides,
  };
}

describe('listMyAccess', () => {
  it('lists pending requests and open live grants with time left, soonest end first', async () => {
    const w = fakeWorld();
    w.store.items.set('p1', grant({ id: 'p1', status: 'PENDING', startsAt: undefined, endsAt: undefined }));
    w.store.items.set('g1', grant({ id: 'g1' }));
    w.store.items.set(
      'g2',
      grant({ id: 'g2', targetKind: 'group', targetId: 'dev-group', endsAt: '2026-11-27T09:30:00.000Z' }),
    );
    w.store.items.set('g3', grant({ id: 'g3', status: 'APPROVED' }));
    w.store.items.set('old', grant({ id: 'old', status: 'EXPIRED' }));
    w.store.items.set('ended', grant({ id: 'ended', endsAt: '2026-11-27T09:10:00.000Z' }));
    w.store.items.set('other', grant({ id: 'other', requester: 'UDEV2' }));
    w.clock.set('2026-11-27T09:20:00.000Z');
    const access = await listMyAccess(w.deps, person('UDEV1'));
    expect(access.pending.map((r) => r.id)).toEqual(['p1']);
    expect(access.live.map((g) => [g.request.id, g.secondsLeft, g.canGetCredentials])).toEqual([
      ['g2', 600, false],
      ['g1', 2400, true],
      ['g3', 2400, false],
    ]);
    expect(access.canBreakGlass).toBe(false);
    expect((await listMyAccess(w.deps, person('UONCALL1'))).canBreakGlass).toBe(true);
  });
});

describe('requestCredentials', () => {
  it('hands an issue-credentials job for the holder of a live role grant to the worker', async () => {
    const w = fakeWorld();
    w.store.items.set('g1', grant({}));
    w.clock.set('2026-11-27T09:30:00.000Z');
    await requestCredentials(w.deps, { requestId: 'g1', requester: 'UDEV1', replyTo: 'slack-view:V1' });
    expect(w.queue.jobs).toEqual([
      { kind: 'issue-credentials', requestId: 'g1', requester: 'UDEV1', replyTo: 'slack-view:V1' },
    ]);
  });

  it.each([
    { description: 'someone else', overrides: {}, requester: 'UDEV2', error: NotAuthorizedError },
    {
      description: 'a group grant',
      overrides: { targetKind: 'group' as const },
      requester: 'UDEV1',
      error: ValidationError,
    },
    {
      description: 'a grant still being set up',
      overrides: { status: 'APPROVED' as const },
      requester: 'UDEV1',
      error: ValidationError,
    },
    {
      description: 'a revoked grant',
      overrides: { status: 'REVOKED' as const },
      requester: 'UDEV1',
      error: ValidationError,
    },
    {
      description: 'a grant whose window has closed',
      overrides: { endsAt: '2026-11-27T09:15:00.000Z' },
      requester: 'UDEV1',
      error: ValidationError,
    },
    {
      description: 'a grant whose target is no longer a role in the policy',
      overrides: { targetId: 'retired-role' },
      requester: 'UDEV1',
      error: ValidationError,
    },
  ])('refuses $description and hands nothing off', async ({ overrides, requester, error }) => {
    const w = fakeWorld();
    w.store.items.set('g1', grant(overrides));
    w.clock.set('2026-11-27T09:30:00.000Z');
    await expect(
      requestCredentials(w.deps, { requestId: 'g1', requester, replyTo: 'slack-view:V1' }),
    ).rejects.toBeInstanceOf(error);
    expect(w.queue.jobs).toEqual([]);
  });
});
