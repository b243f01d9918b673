import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  chainFor,
  ChainVerifier,
  GENESIS_HASH,
  hashEvent,
  sealEvent,
  verifyChain,
  type AuditEvent,
  type AuditEventInput,
} from '../../shared/domain/audit.js';

const CHAIN = 'chain-03';

function input(n: number): AuditEventInput {
  return {
    type: 'request.approval-recorded',
    at: `2026-03-01T10:00:0${n}.000Z`,
    actor: `ULEAD${n}`,
    subject: 'UDEV1',
    targetId: 'prod-role',
    requestId: `req-${n}`,
    fromStatus: 'PENDING',
    toStatus: 'PENDING',
    reason: 'deploy hotfix',
    approvers: [`ULEAD${n}`],
    breakGlass: false,
    detail: { approvals: n },
  };
}

/** A sound chain of `length` events and its head. */
function chainOf(length: number): { events: AuditEvent[]; head: { seq: number; hash: string } } {
  const events: AuditEvent[] = [];
  let head = { seq: 0, hash: GENESIS_HASH };
  for (let n = 1; n <= length; n++) {
    const event = sealEvent(input(n), CHAIN, head);
    events.push(event);
    head = { seq: event.seq, hash: event.hash };
  }
  return { events, head };
}

/** Re-seals `event` so its own hash is right again (a forger who knows the algorithm). */
function reseal(event: Omit<AuditEvent, 'hash'>): AuditEvent {
  const { hash: _ignored, ...rest } = event as AuditEvent;
  return { ...rest, hash: hashEvent(rest) };
}

describe('sealing', () => {
  it('links each event to the previous one and numbers it in its chain', () => {
    const { events } = chainOf(3);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(events[0]?.prevHash).toBe(GENESIS_HASH);
    expect(events[1]?.prevHash).toBe(events[0]?.hash);
    expect(events[2]?.prevHash).toBe(events[1]?.hash);
  });

  it('hashes the same content to the same hash whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"e":3,"f":2}]},"b":1}',
    );
    const event = chainOf(1).events[0] as AuditEvent;
    const reordered = Object.fromEntries(Object.entries(event).reverse()) as unknown as AuditEvent;
    const { hash: _h, ...rest } = reordered;
    expect(hashEvent(rest)).toBe(event.hash);
  });

  it('puts all events of one request on one chain', () => {
    expect(chainFor('req-0001', 8)).toBe(chainFor('req-0001', 8));
    const used = new Set(Array.from({ length: 200 }, (_, i) => chainFor(`req-${i}`, 8)));
    expect(used.size).toBe(8);
  });
});

describe('verifyChain', () => {
  type Tamper = (events: AuditEvent[]) => AuditEvent[];
  const cases: {
    description: string;
    tamper: Tamper;
    head?: (original: { seq: number; hash: string }) => { seq: number; hash: string };
    kind: string;
    seq: number;
  }[] = [
    {
      description: 'an edited field (the reason of #3)',
      tamper: (e) => e.map((x) => (x.seq === 3 ? { ...x, reason: 'nothing to see' } : x)),
      kind: 'hash-mismatch',
      seq: 3,
    },
    {
      description: 'an edited field with its own hash recomputed: the next link breaks',
      tamper: (e) => e.map((x) => (x.seq === 3 ? reseal({ ...x, actor: 'UMALLORY' }) : x)),
      kind: 'broken-link',
      seq: 4,
    },
    {
      description: 'a field added to an event (#2)',
      tamper: (e) => e.map((x) => (x.seq === 2 ? ({ ...x, note: 'added' } as AuditEvent) : x)),
      kind: 'hash-mismatch',
      seq: 2,
    },
    {
      description: 'a deleted event (#3)',
      tamper: (e) => e.filter((x) => x.seq !== 3),
      kind: 'gap',
      seq: 3,
    },
    {
      description: 'a deleted event with the later ones renumbered',
      tamper: (e) =>
        e.filter((x) => x.seq !== 3).map((x) => (x.seq > 3 ? reseal({ ...x, seq: x.seq - 1 }) : x)),
      kind: 'broken-link',
      seq: 3,
    },
    {
      description: 'an inserted event after #2 (later ones renumbered)',
      tamper: (e) => {
        const forged = reseal({ ...(e[1] as AuditEvent), seq: 3, actor: 'UMALLORY' });
        return [...e.slice(0, 2), forged, ...e.slice(2).map((x) => ({ ...x, seq: x.seq + 1 }))];
      },
      head: (h) => ({ seq: h.seq + 1, hash: h.hash }),
      kind: 'broken-link',
      seq: 3,
    },
    {
      description: 'two events swapped in place (#2 and #3 exchange positions)',
      tamper: (e) => {
        const [a, b] = [e[1] as AuditEvent, e[2] as AuditEvent];
        return [e[0] as AuditEvent, { ...b, seq: 2 }, { ...a, seq: 3 }, ...e.slice(3)];
      },
      kind: 'broken-link',
      seq: 2,
    },
    {
      description: 'two events swapped in the listing (#2 and #3 out of order)',
      tamper: (e) => [e[0] as AuditEvent, e[2] as AuditEvent, e[1] as AuditEvent, ...e.slice(3)],
      kind: 'gap',
      seq: 2,
    },
    {
      description: 'the newest event deleted (the head still names it)',
      tamper: (e) => e.slice(0, -1),
      kind: 'head-mismatch',
      seq: 5,
    },
    {
      description: 'the newest events deleted and the head removed too',
      tamper: (e) => e.slice(0, -2),
      head: () => ({ seq: 0, hash: GENESIS_HASH }),
      kind: 'head-mismatch',
      seq: 1,
    },
    {
      description: 'an event appended without moving the head',
      tamper: (e) => [...e, sealEvent(input(6), CHAIN, { seq: 5, hash: (e[4] as AuditEvent).hash })],
      kind: 'head-mismatch',
      seq: 6,
    },
    {
      description: 'an event moved in from another chain',
      tamper: (e) => e.map((x) => (x.seq === 4 ? { ...x, chain: 'chain-05' } : x)),
      kind: 'broken-link',
      seq: 4,
    },
  ];

  it('accepts a sound chain and its head', () => {
    const { events, head } = chainOf(5);
    expect(verifyChain(events, head)).toBeUndefined();
    expect(verifyChain([], { seq: 0, hash: GENESIS_HASH }, CHAIN)).toBeUndefined();
  });

  it.each(cases)('catches $description at #$seq ($kind)', ({ tamper, head, kind, seq }) => {
    const original = chainOf(5);
    const found = verifyChain(tamper(original.events), head ? head(original.head) : original.head, CHAIN);
    expect(found).toMatchObject({ kind, seq });
    expect(found?.message).toContain(CHAIN);
  });
});

describe('ChainVerifier (streaming)', () => {
  it('keeps reporting the first break and counts the sound events before it', () => {
    const { events, head } = chainOf(5);
    const verifier = new ChainVerifier(CHAIN);
    const tampered = events.map((x) => (x.seq === 2 ? { ...x, ticket: 'INC-1' } : x));
    const results = tampered.map((e) => verifier.push(e));
    expect(results[0]).toBeUndefined();
    expect(results.slice(1).every((r) => r?.kind === 'hash-mismatch' && r.seq === 2)).toBe(true);
    expect(verifier.verified).toBe(1);
    expect(verifier.finish(head)).toMatchObject({ kind: 'hash-mismatch', seq: 2 });
  });
});
