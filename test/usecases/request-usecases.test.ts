import { describe, expect, it } from 'vitest';
import { AlreadyDecidedError, NotAuthorizedError, ValidationError } from '../../shared/domain/errors.js';
import { approveRequest, denyRequest } from '../../shared/usecases/approve-request.js';
import { breakGlass, reviewBreakGlass } from '../../shared/usecases/break-glass.js';
import { cancelRequest } from '../../shared/usecases/cancel-request.js';
import { followUpPendingRequests } from '../../shared/usecases/follow-up-pending.js';
import { releaseGrant } from '../../shared/usecases/release-grant.js';
import { submitRequest, type SubmitRequestInput } from '../../shared/usecases/submit-request.js';
import { fakeWorld, person, type FakeWorld } from '../support/fakes.js';

const dev = person('UDEV1');
const input = (overrides: Partial<SubmitRequestInput> = {}): SubmitRequestInput => ({
  requester: dev,
  principal: 'dev1@example.com',
  targetId: 'dev-group',
  reason: 'deploy the hotfix',
  ...overrides,
});

async function submitted(world: FakeWorld, overrides: Partial<SubmitRequestInput> = {}) {
  const result = await submitRequest(world.deps, input(overrides));
  if (result.outcome === 'refused') throw new Error(result.message);
  return result.request;
}

describe('submitRequest', () => {
  it('writes a PENDING request with its audit event and notifies the approvers', async () => {
    const world = fakeWorld();
    const result = await submitRequest(world.deps, input({ durationSeconds: 7200 }));
    expect(result).toMatchObject({
      outcome: 'pending',
      created: true,
      request: {
        status: 'PENDING',
        durationSeconds: 7200,
        approvalsRequired: 1,
        principal: 'dev1@example.com',
      },
    });
    expect(world.audit.types()).toEqual(['request.submitted']);
    expect(world.events.kinds()).toEqual(['approval-needed']);
    expect(world.queue.jobs).toEqual([]);
  });

  it('writes nothing when the policy refuses, and says why', async () => {
    const world = fakeWorld();
    const result = await submitRequest(world.deps, input({ durationSeconds: 9 * 3600 }));
    expect(result).toMatchObject({ outcome: 'refused', reason: 'duration-over-maximum', field: 'duration' });
    expect(world.store.items.size).toBe(0);
    expect(world.audit.events).toEqual([]);
  });

  it('refuses a reason carrying terminal escapes on its field and writes nothing', async () => {
    const world = fakeWorld();
    const result = await submitRequest(world.deps, input({ reason: 'deploy\u001b[8m hidden' }));
    expect(result).toMatchObject({ outcome: 'refused', reason: 'reason-invalid', field: 'reason' });
    expect(world.store.items.size).toBe(0);
    expect(world.audit.events).toEqual([]);
  });

  it('approves an auto-approved target at once and hands it to the grant worker', async () => {
    const world = fakeWorld();
    const result = await submitRequest(world.deps, input({ requester: person('UANY'), targetId: 'sandbox' }));
    expect(result).toMatchObject({
      outcome: 'approved',
      request: { status: 'APPROVED', decidedBy: 'system:auto-approval' },
    });
    expect(world.audit.types()).toEqual(['request.submitted', 'request.auto-approved']);
    expect(world.queue.jobs).toEqual([{ kind: 'activate', requestId: 'req-0001' }]);
  });

  it('returns the first request for a retried delivery and writes nothing more', async () => {
    const world = fakeWorld();
    const first = await submitRequest(world.deps, input({ idempotencyKey: 'V123' }));
    const retry = await submitRequest(world.deps, input({ idempotencyKey: 'V123' }));
    expect(retry).toMatchObject({ outcome: 'pending', created: false });
    expect(
      first.outcome !== 'refused' && retry.outcome !== 'refused' && retry.request.id === first.request.id,
    ).toBe(true);
    expect(world.store.items.size).toBe(1);
    expect(world.events.sent).toHaveLength(1);
  });

  it('refuses a requester without an AWS identity', async () => {
    const world = fakeWorld();
    await expect(submitRequest(world.deps, input({ principal: ' ' }))).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(world.store.items.size).toBe(0);
  });
});

describe('approveRequest and denyRequest', () => {
  it('approves with one lead: window opens at approval, grant handed off, requester told', async () => {
    const world = fakeWorld();
    const request = await submitted(world);
    world.clock.advance(60);
    const result = await approveRequest(world.deps, { requestId: request.id, approver: person('ULEAD1') });
    expect(result).toMatchObject({
      outcome: 'approved',
      request: {
        status: 'APPROVED',
        decidedBy: 'ULEAD1',
        startsAt: '2026-11-27T09:01:00.000Z',
        endsAt: '2026-11-27T10:01:00.000Z',
      },
    });
    expect(world.queue.jobs).toEqual([{ kind: 'activate', requestId: request.id }]);
    expect(world.events.kinds()).toEqual(['approval-needed', 'request-approved']);
    expect(world.audit.events.at(-1)).toMatchObject({
      type: 'request.approved',
      actor: 'ULEAD1',
      approvers: ['ULEAD1'],
    });
  });

  it('needs two distinct approvers for an M-of-N rule and shows progress', async () => {
    const world = fakeWorld();
    const request = await submitted(world, { targetId: 'prod-role', ticket: 'OPS-1' });
    const first = await approveRequest(world.deps, { requestId: request.id, approver: person('ULEAD1') });
    expect(first).toMatchObject({ outcome: 'recorded', approvals: 1, required: 2 });
    const again = await approveRequest(world.deps, { requestId: request.id, approver: person('ULEAD1') });
    expect(again).toMatchObject({ outcome: 'refused', reason: 'already-approved' });
    const second = await approveRequest(world.deps, { requestId: request.id, approver: person('ULEAD2') });
    expect(second).toMatchObject({ outcome: 'approved' });
    expect(world.audit.types(request.id)).toEqual([
      'request.submitted',
      'request.approval-recorded',
      'request.approved',
    ]);
  });

  it.each([
    { description: 'the requester approving their own request', approver: 'UDEV1', reason: 'self-approval' },
    { description: 'someone who is not an approver', approver: 'UDEV2', reason: 'not-an-approver' },
  ])('refuses $description and changes nothing', async ({ approver, reason }) => {
    const world = fakeWorld(
      `${'version: 1'}
people:
  devs: { users: [UDEV1, UDEV2] }
  leads: { users: [ULEAD1, UDEV1] }
targets:
  - { id: dev-group, kind: group, groupName: g, description: d, requesters: [devs], approvers: [leads], defaultDuration: 1h, maxDuration: 2h }
`,
    );
    const request = await submitted(world);
    const result = await approveRequest(world.deps, { requestId: request.id, approver: person(approver) });
    expect(result).toMatchObject({ outcome: 'refused', reason });
    expect(world.store.items.get(request.id)).toEqual(request);
    expect(world.audit.events).toHaveLength(1);
  });

  it('tells a late approver that the request was already decided', async () => {
    const world = fakeWorld();
    const request = await submitted(world);
    await denyRequest(world.deps, { requestId: request.id, approver: person('ULEAD2'), reason: 'not now' });
    await expect(
      approveRequest(world.deps, { requestId: request.id, approver: person('ULEAD1') }),
    ).rejects.toBeInstanceOf(AlreadyDecidedError);
  });

  it('denies with a reason and tells the requester; non-approvers cannot deny', async () => {
    const world = fakeWorld();
    const request = await submitted(world);
    const refused = await denyRequest(world.deps, {
      requestId: request.id,
      approver: person('UDEV2'),
      reason: 'no',
    });
    expect(refused).toMatchObject({ outcome: 'refused', reason: 'not-an-approver' });
    const denied = await denyRequest(world.deps, {
      requestId: request.id,
      approver: person('ULEAD1'),
      reason: 'use staging',
    });
    expect(denied).toMatchObject({
      outcome: 'denied',
      request: { status: 'DENIED', decisionReason: 'use staging' },
    });
    expect(world.events.kinds()).toEqual(['approval-needed', 'request-denied']);
    expect(world.queue.jobs).toEqual([]);
  });

  it('refuses a denial reason with control characters and leaves the request pending', async () => {
    const world = fakeWorld();
    const request = await submitted(world);
    await expect(
      denyRequest(world.deps, { requestId: request.id, approver: person('ULEAD1'), reason: 'no\u202Eon' }),
    ).rejects.toThrow(
      new ValidationError(
        'A reason contains an invisible control character (U+202E); remove it (line breaks are fine).',
      ),
    );
    expect((await world.store.get(request.id))?.status).toBe('PENDING');
    expect(world.audit.types()).toEqual(['request.submitted']);
  });
});

describe('cancelRequest', () => {
  it('lets only the requester cancel a pending request', async () => {
    const world = fakeWorld();
    const request = await submitted(world);
    await expect(
      cancelRequest(world.deps, { requestId: request.id, requester: 'UDEV2' }),
    ).rejects.toBeInstanceOf(NotAuthorizedError);
    const cancelled = await cancelRequest(world.deps, { requestId: request.id, requester: 'UDEV1' });
    expect(cancelled.status).toBe('CANCELLED');
    await expect(
      cancelRequest(world.deps, { requestId: request.id, requester: 'UDEV1' }),
    ).rejects.toBeInstanceOf(AlreadyDecidedError);
  });
});

describe('breakGlass and reviewBreakGlass', () => {
  const glass = {
    requester: person('UONCALL1'),
    principal: 'oncall@example.com',
    targetId: 'prod-role',
    reason: 'site down',
    ticket: 'INC-1',
  };

  it('grants a responder at once, flags it, alerts security and hands it off', async () => {
    const world = fakeWorld();
    const result = await breakGlass(world.deps, glass);
    expect(result).toMatchObject({
      outcome: 'granted',
      request: { status: 'APPROVED', breakGlass: true, endsAt: '2026-11-27T10:00:00.000Z' },
    });
    expect(world.queue.jobs).toEqual([{ kind: 'activate', requestId: 'req-0001' }]);
    expect(world.events.kinds()).toEqual(['break-glass']);
    expect(world.audit.events[0]).toMatchObject({
      type: 'break-glass.activated',
      breakGlass: true,
      toStatus: 'APPROVED',
    });
    expect(world.audit.events[0]).not.toHaveProperty('fromStatus');
  });

  it('refuses anyone who is not a responder and writes nothing', async () => {
    const world = fakeWorld();
    const result = await breakGlass(world.deps, { ...glass, requester: person('UDEV1') });
    expect(result).toMatchObject({ outcome: 'refused', reason: 'not-a-responder' });
    expect(world.store.items.size).toBe(0);
    expect(world.queue.jobs).toEqual([]);
  });

  it('is reviewed once, by a reviewer, and leaves the unreviewed list', async () => {
    const world = fakeWorld();
    const result = await breakGlass(world.deps, glass);
    if (result.outcome !== 'granted') throw new Error('not granted');
    expect((await world.store.listUnreviewedBreakGlass()).items).toHaveLength(1);
    await expect(
      reviewBreakGlass(world.deps, { requestId: result.request.id, reviewer: person('UONCALL1') }),
    ).rejects.toBeInstanceOf(NotAuthorizedError);
    const reviewed = await reviewBreakGlass(world.deps, {
      requestId: result.request.id,
      reviewer: person('USEC1'),
      note: 'justified: INC-7',
    });
    expect(reviewed).toMatchObject({
      status: 'APPROVED',
      reviewedBy: 'USEC1',
      reviewNote: 'justified: INC-7',
    });
    expect((await world.store.listUnreviewedBreakGlass()).items).toHaveLength(0);
    expect(world.audit.types()).toEqual(['break-glass.activated', 'break-glass.reviewed']);
  });

  it('refuses a break-glass reason or a review note with control characters', async () => {
    const world = fakeWorld();
    expect(await breakGlass(world.deps, { ...glass, reason: 'down\u0007\u0007' })).toMatchObject({
      outcome: 'refused',
      reason: 'reason-invalid',
      field: 'reason',
    });
    expect(world.store.items.size).toBe(0);
    const result = await breakGlass(world.deps, glass);
    if (result.outcome !== 'granted') throw new Error('not granted');
    await expect(
      reviewBreakGlass(world.deps, {
        requestId: result.request.id,
        reviewer: person('USEC1'),
        note: 'fine\u009b2J',
      }),
    ).rejects.toBeInstanceOf(ValidationError);
    const reviewed = await reviewBreakGlass(world.deps, {
      requestId: result.request.id,
      reviewer: person('USEC1'),
      note: 'justified:\nINC-7 postmortem',
    });
    expect(reviewed.reviewNote).toBe('justified:\nINC-7 postmortem');
  });
});

describe('followUpPendingRequests', () => {
  it('reminds approvers once, then times the request out; nothing is deleted', async () => {
    const world = fakeWorld();
    const request = await submitted(world);
    world.clock.advance(30 * 60);
    expect(await followUpPendingRequests(world.deps)).toEqual({ renotified: 0, timedOut: 0, escalated: 0 });
    world.clock.advance(31 * 60);
    expect(await followUpPendingRequests(world.deps)).toEqual({ renotified: 1, timedOut: 0, escalated: 0 });
    expect(await followUpPendingRequests(world.deps)).toEqual({ renotified: 0, timedOut: 0, escalated: 0 });
    world.clock.advance(3 * 3600);
    expect(await followUpPendingRequests(world.deps)).toEqual({ renotified: 0, timedOut: 1, escalated: 0 });
    expect(world.store.items.get(request.id)?.status).toBe('TIMED_OUT');
    expect(world.events.sent.map((n) => [n.kind, 'reminder' in n ? n.reminder : undefined])).toEqual([
      ['approval-needed', false],
      ['approval-needed', true],
      ['request-timed-out', undefined],
    ]);
    expect(world.audit.types()).toEqual(['request.submitted', 'request.renotified', 'request.timed-out']);
  });
});

describe('releaseGrant and extensions', () => {
  async function approvedGrant(world: FakeWorld) {
    const request = await submitted(world);
    const result = await approveRequest(world.deps, { requestId: request.id, approver: person('ULEAD1') });
    if (result.outcome !== 'approved') throw new Error('not approved');
    return result.request;
  }

  it('hands an early release by the holder to the grant worker', async () => {
    const world = fakeWorld();
    const grant = await approvedGrant(world);
    await expect(
      releaseGrant(world.deps, { requestId: grant.id, requester: 'UDEV2' }),
    ).rejects.toBeInstanceOf(NotAuthorizedError);
    await releaseGrant(world.deps, { requestId: grant.id, requester: 'UDEV1' });
    expect(world.queue.jobs.at(-1)).toEqual({
      kind: 'revoke',
      requestId: grant.id,
      actor: 'UDEV1',
      reason: 'released by the requester',
    });
  });

  it('runs an approved extension on from the live grant, through the same approval rule', async () => {
    const world = fakeWorld();
    const grant = await approvedGrant(world);
    world.clock.advance(30 * 60);
    const extension = await submitRequest(
      world.deps,
      input({ extendsRequestId: grant.id, durationSeconds: 3600 }),
    );
    expect(extension).toMatchObject({
      outcome: 'pending',
      request: { targetId: 'dev-group', extendsRequestId: grant.id },
    });
    if (extension.outcome !== 'pending') throw new Error('not pending');
    const approved = await approveRequest(world.deps, {
      requestId: extension.request.id,
      approver: person('ULEAD2'),
    });
    expect(approved).toMatchObject({
      outcome: 'approved',
      request: { startsAt: '2026-11-27T09:30:00.000Z', endsAt: '2026-11-27T11:00:00.000Z' },
    });
  });

  it("refuses to extend someone else's grant", async () => {
    const world = fakeWorld();
    const grant = await approvedGrant(world);
    const result = await submitRequest(
      world.deps,
      input({ requester: person('UDEV2'), extendsRequestId: grant.id }),
    );
    expect(result).toMatchObject({ outcome: 'refused', reason: 'not-extendable' });
  });

  it('refuses to release or extend a grant that has ended, and writes and hands off nothing', async () => {
    const world = fakeWorld();
    const grant = await approvedGrant(world);
    const ended = { ...grant, status: 'EXPIRED' as const };
    world.store.items.set(grant.id, ended);
    const jobs = world.queue.jobs.length;
    const events = world.audit.events.length;
    await expect(
      releaseGrant(world.deps, { requestId: grant.id, requester: 'UDEV1' }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(await submitRequest(world.deps, input({ extendsRequestId: grant.id }))).toEqual({
      outcome: 'refused',
      reason: 'not-extendable',
      message: 'Only your own live grants can be extended.',
    });
    expect(world.queue.jobs).toHaveLength(jobs);
    expect(world.audit.events).toHaveLength(events);
    expect(world.store.items.get(grant.id)).toEqual(ended);
  });
});
