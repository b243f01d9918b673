import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../shared/domain/audit.js';
import { summarizeHistory } from '../../shared/domain/requester-history.js';

let seq = 0;
function event(fields: Partial<AuditEvent> & Pick<AuditEvent, 'type' | 'requestId'>): AuditEvent {
  seq++;
  return {
    at: `2026-11-2${Math.min(seq, 9)}T09:00:00.000Z`,
    actor: 'ULEAD1',
    subject: 'UDEV1',
    targetId: 'dev-group',
    breakGlass: false,
    chain: 'chain-00',
    seq,
    prevHash: '0',
    hash: '1',
    ...fields,
  };
}
const window = { startsAt: '2026-11-20T09:00:00.000Z', endsAt: '2026-11-20T11:00:00.000Z' };

describe('summarizeHistory', () => {
  it.each([
    {
      description: 'an approved grant with its length',
      events: [event({ type: 'request.approved', requestId: 'r1', detail: window })],
      expected: [{ kind: 'granted', requestId: 'r1', durationSeconds: 7200 }],
    },
    {
      description: 'an auto-approved grant counts as granted',
      events: [event({ type: 'request.auto-approved', requestId: 'r1', detail: window })],
      expected: [{ kind: 'granted', durationSeconds: 7200 }],
    },
    {
      description: 'a break-glass',
      events: [event({ type: 'break-glass.activated', requestId: 'r1', breakGlass: true, detail: window })],
      expected: [{ kind: 'break-glass', durationSeconds: 7200 }],
    },
    {
      description: 'a denial with who and why',
      events: [event({ type: 'request.denied', requestId: 'r1', actor: 'ULEAD2', reason: 'not now' })],
      expected: [{ kind: 'denied', by: 'ULEAD2', reason: 'not now' }],
    },
    {
      description: 'other events (submissions, expiries) are left out',
      events: [
        event({ type: 'request.submitted', requestId: 'r1' }),
        event({ type: 'grant.expired', requestId: 'r1' }),
      ],
      expected: [],
    },
    {
      description: 'the request being decided is left out',
      events: [event({ type: 'request.denied', requestId: 'current' })],
      expected: [],
    },
  ])('$description', ({ events, expected }) => {
    expect(summarizeHistory(events, 'current')).toMatchObject(expected);
  });

  it('keeps the newest few, in the order given', () => {
    const events = Array.from({ length: 8 }, (_, i) =>
      event({ type: 'request.approved', requestId: `r${i}`, detail: window }),
    );
    expect(summarizeHistory(events, 'current', 3).map((e) => e.requestId)).toEqual(['r0', 'r1', 'r2']);
  });
});
