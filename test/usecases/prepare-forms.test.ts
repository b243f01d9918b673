import { describe, expect, it } from 'vitest';
import type { AccessRequest } from '../../shared/domain/request.js';
import { breakGlassChoices, prepareDenial, prepareExtension } from '../../shared/usecases/prepare-forms.js';
import { submitRequest } from '../../shared/usecases/submit-request.js';
import { grantRecord } from '../support/fake-aws.js';
import { fakeWorld, person } from '../support/fakes.js';

/** A world whose store holds `request`, as `change` leaves the one UDEV1 submitted for dev-group. */
async function withPendingRequest(change: (request: AccessRequest) => AccessRequest) {
  const w = fakeWorld();
  const submitted = await submitRequest(w.deps, {
    requester: person('UDEV1'),
    principal: 'dev1',
    targetId: 'dev-group',
    reason: 'logs',
  });
  if (submitted.outcome === 'refused') throw new Error(submitted.message);
  const request = change(submitted.request);
  w.store.items.set(request.id, request);
  return { w, request };
}

describe('prepareDenial', () => {
  const rows: {
    description: string;
    approver: string;
    change?: (request: AccessRequest) => AccessRequest;
    missing?: boolean;
    expected: string;
  }[] = [
    {
      description: 'an approver of the rule gets the pending request',
      approver: 'ULEAD1',
      expected: 'ready',
    },
    {
      description: 'someone who is not an approver is told so',
      approver: 'UDEV2',
      expected: 'not-an-approver',
    },
    {
      description: 'the requester is not an approver of their own rule',
      approver: 'UDEV1',
      expected: 'not-an-approver',
    },
    {
      description: 'a decided request opens no form',
      approver: 'ULEAD1',
      change: (r) => ({ ...r, status: 'APPROVED' }),
      expected: 'not-pending',
    },
    {
      description: 'a target removed from the policy opens no form',
      approver: 'ULEAD1',
      change: (r) => ({ ...r, targetId: 'gone' }),
      expected: 'unknown-target',
    },
    {
      description: 'a request that does not exist',
      approver: 'ULEAD1',
      missing: true,
      expected: 'not-found',
    },
  ];
  it.each(rows)('$description', async ({ approver, change = (r) => r, missing, expected }) => {
    const { w, request } = await withPendingRequest(change);
    const requestId = missing ? 'nope' : request.id;
    const result = await prepareDenial(w.deps, { requestId, approver: person(approver) });
    expect(result.outcome === 'ready' ? 'ready' : result.reason).toBe(expected);
    if (result.outcome === 'ready') expect(result.request).toEqual(request);
    // Reads only: the request and its one submission event are all there is.
    expect(w.store.items.get(request.id)).toEqual(request);
    expect(w.audit.events).toHaveLength(1);
  });

  it('says why in the words the approver sees', async () => {
    const { w, request } = await withPendingRequest((r) => r);
    expect(await prepareDenial(w.deps, { requestId: 'nope', approver: person('ULEAD1') })).toEqual({
      outcome: 'refused',
      reason: 'not-found',
      message: 'This request no longer exists.',
    });
    expect(await prepareDenial(w.deps, { requestId: request.id, approver: person('UDEV2') })).toEqual({
      outcome: 'refused',
      reason: 'not-an-approver',
      message: 'You are not an approver of the current stage of dev-group.',
    });
  });
});

describe('prepareExtension', () => {
  const rows: {
    description: string;
    by?: string;
    grant?: Partial<AccessRequest>;
    missing?: boolean;
    expected: string;
  }[] = [
    { description: 'the holder of a live grant gets it and its target', expected: 'ready' },
    { description: "someone else's grant", by: 'UDEV2', expected: 'not-requester' },
    { description: 'a grant that has ended', grant: { status: 'EXPIRED' }, expected: 'not-live' },
    {
      description: 'a grant whose target was removed from the policy',
      grant: { targetId: 'gone' },
      expected: 'unknown-target',
    },
    { description: 'a grant that does not exist', missing: true, expected: 'not-found' },
  ];
  it.each(rows)('$description', async ({ by = 'UDEV1', grant: fields, missing, expected }) => {
    const w = fakeWorld();
    const grant = grantRecord({
      id: 'g1',
      status: 'ACTIVE',
      startsAt: '2026-11-27T09:00:00.000Z',
      endsAt: '2026-11-27T10:00:00.000Z',
      ...fields,
    });
    w.store.items.set(grant.id, grant);
    const result = await prepareExtension(w.deps, { requestId: missing ? 'nope' : 'g1', requester: by });
    expect(result.outcome === 'ready' ? 'ready' : result.reason).toBe(expected);
    if (result.outcome === 'ready') {
      expect(result.grant).toEqual(grant);
      expect(result.target).toMatchObject({ id: 'dev-group', maxDurationSeconds: 8 * 3600 });
    }
    expect(w.store.items.get('g1')).toEqual(grant);
    expect(w.audit.events).toEqual([]);
  });
});

describe('breakGlassChoices', () => {
  it.each([
    { description: 'a responder gets the break-glass targets', who: 'UONCALL1', expected: 'ready' },
    { description: 'a developer is refused', who: 'UDEV1', expected: 'not-a-responder' },
    { description: 'a reviewer is refused', who: 'USEC1', expected: 'not-a-responder' },
  ])('$description', ({ who, expected }) => {
    const choices = breakGlassChoices(fakeWorld().deps, person(who));
    expect(choices.outcome === 'ready' ? 'ready' : choices.reason).toBe(expected);
  });

  it('offers the targets marked break-glass and the break-glass maximum', () => {
    expect(breakGlassChoices(fakeWorld().deps, person('UONCALL1'))).toMatchObject({
      outcome: 'ready',
      targets: [{ id: 'prod-role' }],
      maxDurationSeconds: 3600,
    });
  });

  it('refuses everyone when the policy has no break-glass section', () => {
    const w = fakeWorld(`
version: 1
people: { oncall: { users: [UONCALL1, UONCALL2] } }
targets: [{ id: t, kind: group, groupName: g, description: d, requesters: [oncall], approvers: [oncall], defaultDuration: 1h, maxDuration: 1h }]
`);
    expect(breakGlassChoices(w.deps, person('UONCALL1'))).toEqual({
      outcome: 'refused',
      reason: 'break-glass-disabled',
      message: 'Break-glass is not enabled.',
    });
  });
});
