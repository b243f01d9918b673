import { describe, expect, it } from 'vitest';
import { IllegalTransitionError } from '../../shared/domain/errors.js';
import type { RequestStatus } from '../../shared/domain/lifecycle.js';
import { applyTransition, newRequest, type AccessRequest } from '../../shared/domain/request.js';

const created = new Date('2026-11-27T09:00:00.000Z');
const at = new Date('2026-11-27T09:05:00.000Z');

function inStatus(status: RequestStatus): AccessRequest {
  return {
    ...newRequest({
      id: 'r1',
      at: created,
      requester: 'UDEV1',
      principal: 'dev1',
      targetId: 'dev-group',
      targetKind: 'group',
      durationSeconds: 3600,
      approvalsRequired: 1,
    }),
    status,
    version: 3,
  };
}

describe('applyTransition (the lifecycle rule both stores call)', () => {
  it.each<{ description: string; from: RequestStatus; to: RequestStatus }>([
    { description: 'one more approval keeps it pending', from: 'PENDING', to: 'PENDING' },
    { description: 'an approval', from: 'PENDING', to: 'APPROVED' },
    { description: 'a denial', from: 'PENDING', to: 'DENIED' },
    { description: 'a cancellation', from: 'PENDING', to: 'CANCELLED' },
    { description: 'a time-out', from: 'PENDING', to: 'TIMED_OUT' },
    { description: 'an activation', from: 'APPROVED', to: 'ACTIVE' },
    { description: 'a failed activation', from: 'APPROVED', to: 'FAILED' },
    { description: 'a revoke before activation', from: 'APPROVED', to: 'REVOKED' },
    { description: 'an expiry', from: 'ACTIVE', to: 'EXPIRED' },
    { description: 'a revoke', from: 'ACTIVE', to: 'REVOKED' },
  ])('allows $description ($from → $to): next version, changes applied', ({ from, to }) => {
    const next = applyTransition(inStatus(from), { to, at, changes: { decidedBy: 'ULEAD1' } });
    expect(next).toMatchObject({ status: to, version: 4, updatedAt: at.toISOString(), decidedBy: 'ULEAD1' });
    expect(next.createdAt).toBe(created.toISOString());
  });

  it.each<{ description: string; from: RequestStatus; to: RequestStatus }>([
    { description: 'skipping approval', from: 'PENDING', to: 'ACTIVE' },
    { description: 'going back to pending', from: 'APPROVED', to: 'PENDING' },
    { description: 'a live grant changing in place', from: 'ACTIVE', to: 'ACTIVE' },
    { description: 'reviving an ended grant', from: 'EXPIRED', to: 'ACTIVE' },
    { description: 'approving a denied request', from: 'DENIED', to: 'APPROVED' },
    { description: 'failing an active grant', from: 'ACTIVE', to: 'FAILED' },
    { description: 'leaving a terminal state', from: 'REVOKED', to: 'EXPIRED' },
  ])('refuses $description ($from → $to) with IllegalTransitionError', ({ from, to }) => {
    expect(() => applyTransition(inStatus(from), { to, at })).toThrow(IllegalTransitionError);
  });

  it('applies an annotation (no `to`) in any state, terminal ones included, keeping the status', () => {
    for (const status of ['APPROVED', 'ACTIVE', 'EXPIRED'] as const) {
      const next = applyTransition(inStatus(status), { at, changes: { reviewedBy: 'USEC1' } });
      expect(next).toMatchObject({ status, version: 4, reviewedBy: 'USEC1', updatedAt: at.toISOString() });
    }
  });
});
