import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, tryParseDuration } from '../../shared/domain/duration.js';
import { IllegalTransitionError } from '../../shared/domain/errors.js';
import { openWindow, secondsLeft, windowOnApproval } from '../../shared/domain/grant-window.js';
import {
  assertTransition,
  canTransition,
  REQUEST_STATUSES,
  TERMINAL_STATUSES,
} from '../../shared/domain/lifecycle.js';

describe('the request lifecycle', () => {
  it.each([
    ['PENDING', 'APPROVED', true],
    ['PENDING', 'DENIED', true],
    ['PENDING', 'CANCELLED', true],
    ['PENDING', 'TIMED_OUT', true],
    ['APPROVED', 'ACTIVE', true],
    ['APPROVED', 'FAILED', true],
    ['ACTIVE', 'EXPIRED', true],
    ['ACTIVE', 'REVOKED', true],
    ['PENDING', 'ACTIVE', false],
    ['EXPIRED', 'APPROVED', false],
    ['DENIED', 'APPROVED', false],
    ['ACTIVE', 'PENDING', false],
    // An extension is a request of its own: a live grant never changes in place.
    ['ACTIVE', 'ACTIVE', false],
    ['APPROVED', 'APPROVED', false],
    ['FAILED', 'ACTIVE', false],
  ] as const)('%s → %s allowed: %s', (from, to, allowed) => {
    expect(canTransition(from, to)).toBe(allowed);
  });

  it('has no way out of a terminal state', () => {
    expect(TERMINAL_STATUSES).toEqual(['EXPIRED', 'REVOKED', 'DENIED', 'CANCELLED', 'TIMED_OUT', 'FAILED']);
    for (const from of TERMINAL_STATUSES) {
      for (const to of REQUEST_STATUSES)
        expect(() => assertTransition(from, to)).toThrow(IllegalTransitionError);
    }
  });
});

describe('durations', () => {
  it.each([
    ['15m', 900],
    ['1h', 3600],
    ['1h30m', 5400],
    ['2d', 172800],
    ['90s', 90],
    ['90x', undefined],
    ['', undefined],
    ['0m', undefined],
    ['h', undefined],
  ])('%s is %s seconds', (text, seconds) => {
    expect(tryParseDuration(text)).toBe(seconds);
  });

  it('formats and parses back to the same number of seconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), (n) => tryParseDuration(formatDuration(n)) === n),
    );
  });
});

describe('grant windows', () => {
  const now = new Date('2026-11-27T09:00:00Z');
  it('counts time left and closes at the end', () => {
    const window = openWindow(now, 3600);
    expect(secondsLeft(window, new Date('2026-11-27T09:59:00Z'))).toBe(60);
    expect(secondsLeft(window, new Date('2026-11-27T10:00:01Z'))).toBe(0);
  });

  it('runs an approved extension on from the live grant, capped at the maximum from now', () => {
    const live = { endsAt: new Date('2026-11-27T09:30:00Z') };
    expect(windowOnApproval(now, 3600, 4 * 3600, live).endsAt.toISOString()).toBe('2026-11-27T10:30:00.000Z');
    expect(windowOnApproval(now, 3600, 3600, live).endsAt.toISOString()).toBe('2026-11-27T10:00:00.000Z');
    expect(windowOnApproval(now, 3600, 4 * 3600).endsAt.toISOString()).toBe('2026-11-27T10:00:00.000Z');
  });
});
