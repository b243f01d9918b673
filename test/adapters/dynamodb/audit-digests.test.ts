import { PutCommand } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { describe, expect, it } from 'vitest';
import { sortKeyOf } from '../../../shared/adapters/dynamodb/audit-log.js';
import {
  DIGEST_PART_JSON_BYTES,
  DIGEST_SPAN_KEY,
  DynamoAuditDigests,
  partsOf,
} from '../../../shared/adapters/dynamodb/audit-digests.js';
import { DynamoAuditQuery } from '../../../shared/adapters/dynamodb/audit-query.js';
import { stampSchema } from '../../../shared/adapters/dynamodb/item-schema.js';
import {
  AuditDigestError,
  DIGEST_SETTLE_MS,
  digestsOfDay,
  isDayClosed,
  LONGEST_APPEND_MS,
  newestClosedDay,
  type DayDigest,
} from '../../../shared/domain/audit-digest.js';
import type { AuditEvent, AuditEventInput } from '../../../shared/domain/audit.js';
import {
  matchesAuditFilter,
  parseAuditQuery,
  type AuditQueryInput,
} from '../../../shared/domain/audit-query.js';
import { digestAuditDays, type DigestAuditDeps } from '../../../shared/usecases/digest-audit.js';
import { exportAudit, queryAudit } from '../../../shared/usecases/query-audit.js';
import { verifyAudit } from '../../../shared/usecases/verify-audit.js';
import { ManualClock } from '../../support/fakes.js';
import { useLocalTables } from '../../support/local-dynamo.js';

const db = useLocalTables();

const TARGETS = ['prod-role', 'dev-group'];

/** 150 events over five days (2026-03-01 … 03-05), two targets; pairs share a millisecond. */
async function seedTrail(): Promise<AuditEvent[]> {
  const inputs: AuditEventInput[] = Array.from({ length: 150 }, (_, i) => ({
    type: 'request.approved',
    at: new Date(Date.parse('2026-03-01T00:00:00.000Z') + Math.floor(i / 2) * 96 * 60_000).toISOString(),
    actor: 'ULEAD',
    subject: i % 3 === 0 ? 'UANA' : 'UBEN',
    targetId: TARGETS[i % 2] as string,
    requestId: `req-${i % 23}`,
    ...(i % 4 === 0 ? { toStatus: 'ACTIVE' as const } : {}),
    reason: `event ${i}`,
    breakGlass: i % 9 === 0,
  }));
  const limit = pLimit(8);
  return Promise.all(inputs.map((input) => limit(() => db().audit.append(input))));
}

const ids = (events: readonly AuditEvent[]) => events.map((e) => `${e.chain}#${e.seq}`);
const newestFirst = (events: readonly AuditEvent[]) =>
  [...events].sort((a, b) => (sortKeyOf(a) < sortKeyOf(b) ? 1 : -1));

function digestStore() {
  return new DynamoAuditDigests(db().doc, db().names.auditDigests as string);
}

function runDeps(clock: ManualClock, overrides: Partial<DigestAuditDeps> = {}) {
  const counted: Record<string, number> = {};
  const logged: string[] = [];
  const deps: DigestAuditDeps = {
    trail: new DynamoAuditQuery(db().doc, db().names.audit),
    digests: digestStore(),
    clock,
    logger: {
      info: (message) => logged.push(message),
      warn: (message) => logged.push(message),
      error: (message) => logged.push(message),
    },
    metrics: { count: (name, value = 1) => (counted[name] = (counted[name] ?? 0) + value) },
    ...overrides,
  };
  return { deps, counted, logged };
}

/** Overwrites a target's day with one empty part that claims `parts` parts (so parts are missing). */
async function putPartClaiming(targetId: string, day: string, parts: number): Promise<void> {
  await db().doc.send(
    new PutCommand({
      TableName: db().names.auditDigests,
      Item: stampSchema({
        targetId,
        part: `${day}#0000`,
        index: 0,
        parts,
        count: 0,
        events: new Uint8Array(),
      }),
    }),
  );
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('the digest store (DynamoDB Local)', () => {
  it('keeps a day in parts that read back as written, and refuses a day whose parts do not add up', async () => {
    const store = digestStore();
    const event = (n: number): AuditEvent =>
      ({
        type: 'request.approved',
        at: `2026-03-01T10:00:00.${String(999 - n).padStart(3, '0')}Z`,
        actor: 'ULEAD',
        subject: 'UANA',
        targetId: 'prod-role',
        requestId: `req-${n}`,
        reason: 'x'.repeat(100_000),
        breakGlass: false,
        chain: 'chain-00',
        seq: n + 1,
        prevHash: 'p',
        hash: `h${n}`,
      }) as unknown as AuditEvent;
    const events = Array.from({ length: 7 }, (_, n) => event(n));
    expect(partsOf(events).length).toBe(4);
    expect(partsOf(events).every((part) => JSON.stringify(part).length <= DIGEST_PART_JSON_BYTES)).toBe(true);
    await store.writeDay('2026-03-01', [{ targetId: 'prod-role', day: '2026-03-01', events }]);
    const later = { ...event(0), at: '2026-03-02T08:00:00.000Z', reason: 'short' } as AuditEvent;
    await store.writeDay('2026-03-02', [{ targetId: 'prod-role', day: '2026-03-02', events: [later] }]);
    const read = await collect(store.readTarget('prod-role', '2026-03-02', '2026-03-01'));
    expect(read.map((d) => d.day)).toEqual(['2026-03-02', '2026-03-01']);
    expect(read[1]?.events.map((e) => e.hash)).toEqual(events.map((e) => e.hash));
    expect((await collect(store.readAll())).length).toBe(2);

    // A part removed (here: overwritten to claim one more part than there is) is refused by name.
    await putPartClaiming('prod-role', '2026-03-01', 5);
    await expect(collect(store.readTarget('prod-role', '2026-03-01', '2026-03-01'))).rejects.toThrow(
      AuditDigestError,
    );
  });

  it('moves the span only from where it was read', async () => {
    const store = digestStore();
    expect(await store.span()).toBeUndefined();
    expect(await store.advance(undefined, '2026-03-01')).toBe(true);
    expect(await store.advance(undefined, '2026-03-01')).toBe(false);
    const span = { since: '2026-03-01', through: '2026-03-01' };
    expect(await store.advance(span, '2026-03-02')).toBe(true);
    expect(await store.advance(span, '2026-03-02')).toBe(false);
    expect(await store.span()).toEqual({ since: '2026-03-01', through: '2026-03-02' });
    // The span item is not a digest.
    expect(await collect(store.readAll())).toEqual([]);
    expect(DIGEST_SPAN_KEY.targetId.startsWith('#')).toBe(true);
  });
});

describe('the digest run', () => {
  it('digests closed days only, oldest first, and resumes where the span ends', async () => {
    const trail = await seedTrail();
    // 03-05 ended at midnight; the settle time (one hour) has not passed at 00:30.
    const clock = new ManualClock('2026-03-06T00:30:00.000Z');
    const first = runDeps(clock, { firstDay: '2026-03-01' });
    const run = await digestAuditDays(first.deps);
    expect(run).toEqual({
      status: 'digested',
      days: ['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04'],
      span: { since: '2026-03-01', through: '2026-03-04' },
    });
    expect(first.counted).toEqual({ DigestedDays: 4 });

    clock.set('2026-03-06T01:00:00.000Z');
    const second = await digestAuditDays(runDeps(clock).deps);
    expect(second).toMatchObject({ status: 'digested', days: ['2026-03-05'] });
    // Nothing more to do until the next day closes.
    expect(await digestAuditDays(runDeps(clock).deps)).toMatchObject({ status: 'digested', days: [] });

    // Each digest holds exactly the target's events of its day, in the index's order.
    for (const targetId of TARGETS) {
      const digests = await collect(digestStore().readTarget(targetId, '2026-03-05', '2026-03-01'));
      expect(digests.map((d) => d.day)).toEqual([
        '2026-03-05',
        '2026-03-04',
        '2026-03-03',
        '2026-03-02',
        '2026-03-01',
      ]);
      expect(ids(digests.flatMap((d) => d.events))).toEqual(
        ids(newestFirst(trail.filter((e) => e.targetId === targetId))),
      );
    }
  });

  it('stops when told to and on a failure, leaving the span where the last whole day put it', async () => {
    await seedTrail();
    const clock = new ManualClock('2026-03-06T12:00:00.000Z');
    let asked = 0;
    const stopped = await digestAuditDays(runDeps(clock, { firstDay: '2026-03-01' }).deps, {
      shouldStop: () => ++asked > 2,
    });
    expect(stopped).toMatchObject({ status: 'digested', days: ['2026-03-01', '2026-03-02'] });

    const store = digestStore();
    let writes = 0;
    const failing = runDeps(clock, {
      digests: Object.assign(Object.create(store) as DynamoAuditDigests, {
        writeDay: async (day: string, digests: readonly DayDigest[]) => {
          if (++writes === 2) throw new Error('DynamoDB is unavailable');
          return store.writeDay(day, digests);
        },
      }),
    });
    const failed = await digestAuditDays(failing.deps);
    expect(failed).toEqual({ status: 'failed', days: ['2026-03-03'], error: 'DynamoDB is unavailable' });
    expect(failing.counted).toEqual({ DigestFailures: 1, DigestedDays: 1 });
    expect(await store.span()).toEqual({ since: '2026-03-01', through: '2026-03-03' });
    // The next run writes the failed day again and goes on.
    expect(await digestAuditDays(runDeps(clock).deps)).toMatchObject({
      status: 'digested',
      days: ['2026-03-04', '2026-03-05'],
    });
  });

  it('takes a day as closed once the settle time after its end has passed, and not before', () => {
    // The settle time outlasts any append in flight (an invocation runs 15 minutes at most).
    expect(DIGEST_SETTLE_MS).toBeGreaterThan(LONGEST_APPEND_MS);
    expect(isDayClosed('2026-03-05', new Date('2026-03-06T00:59:59.999Z'))).toBe(false);
    expect(isDayClosed('2026-03-05', new Date('2026-03-06T01:00:00.000Z'))).toBe(true);
    expect(newestClosedDay(new Date('2026-03-06T00:59:59.999Z'))).toBe('2026-03-04');
    expect(newestClosedDay(new Date('2026-03-06T01:00:00.000Z'))).toBe('2026-03-05');
  });

  it('groups a day by target, newest first, and leaves out events of other days', () => {
    const at = (time: string, chain: string, seq: number, targetId = 't') =>
      ({ at: `2026-03-01T${time}Z`, chain, seq, targetId }) as unknown as AuditEvent;
    const digests = digestsOfDay('2026-03-01', [
      at('01:00:00.000', 'chain-01', 1),
      at('02:00:00.000', 'chain-00', 5),
      at('02:00:00.000', 'chain-01', 2),
      at('02:00:00.000', 'chain-01', 3, 'a'),
      { at: '2026-03-02T00:00:00.000Z', chain: 'chain-01', seq: 9, targetId: 't' } as unknown as AuditEvent,
    ]);
    expect(digests.map((d) => [d.targetId, d.events.map((e) => `${e.chain}#${e.seq}`)])).toEqual([
      ['a', ['chain-01#3']],
      ['t', ['chain-01#2', 'chain-00#5', 'chain-01#1']],
    ]);
  });
});

describe('a target’s answers read through digests', () => {
  const filters: { description: string; input: AuditQueryInput }[] = [
    { description: 'the whole trail', input: { target: 'prod-role' } },
    {
      description: 'from a time inside the span',
      input: { target: 'dev-group', from: '2026-03-02T13:00:00Z' },
    },
    { description: 'from a day before the span', input: { target: 'prod-role', from: '2026-03-01' } },
    {
      description: 'a range across the span and after it',
      input: { target: 'dev-group', from: '2026-03-02T07:00:00Z', to: '2026-03-04T09:00:00Z' },
    },
    {
      description: 'a range inside the span, ending at midnight',
      input: { target: 'prod-role', from: '2026-03-02T05:00:00Z', to: '2026-03-03' },
    },
    {
      description: 'a range after the span',
      input: { target: 'prod-role', from: '2026-03-04', to: '2026-03-05T12:00:00Z' },
    },
    { description: 'a range before the span', input: { target: 'dev-group', to: '2026-03-02' } },
    { description: 'with a person', input: { target: 'prod-role', person: 'UANA' } },
    {
      description: 'with a status',
      input: { target: 'prod-role', status: 'ACTIVE', from: '2026-03-01T12:00:00Z' },
    },
    { description: 'break-glass only', input: { target: 'prod-role', breakGlass: true } },
    { description: 'not break-glass', input: { target: 'dev-group', breakGlass: false } },
  ];

  it('gives the same events in the same order as the index, across pages of every size and streamed', async () => {
    const trail = await seedTrail();
    // A span in the middle of the trail (03-02 and 03-03), so every answer has three stretches.
    await digestAuditDays(
      runDeps(new ManualClock('2026-03-04T01:00:00.000Z'), { firstDay: '2026-03-02' }).deps,
    );
    expect(await digestStore().span()).toEqual({ since: '2026-03-02', through: '2026-03-03' });
    const clock = new ManualClock('2026-03-06T00:00:00.000Z');
    const withDigests = {
      reader: new DynamoAuditQuery(
        db().doc,
        db().names.audit,
        undefined,
        undefined,
        undefined,
        digestStore(),
      ),
      clock,
    };
    for (const { description, input } of filters) {
      const expected = ids(
        newestFirst(trail.filter((e) => matchesAuditFilter(e, parseAuditQuery(input).filter))),
      );
      expect(expected.length, description).toBeGreaterThan(0);
      for (const limit of [1, 4, 25, 1000]) {
        const got: AuditEvent[] = [];
        let cursor: string | undefined;
        do {
          const page = await queryAudit(withDigests, { ...input, limit, ...(cursor ? { cursor } : {}) });
          expect(page.items.length === limit || page.cursor === undefined, description).toBe(true);
          got.push(...page.items);
          cursor = page.cursor;
        } while (cursor);
        expect(ids(got), `${description}, pages of ${limit}`).toEqual(expected);
      }
      const streamed = await collect(exportAudit(withDigests, input));
      expect(ids(streamed), `${description}, streamed`).toEqual(expected);
    }
  }, 180_000);

  it('reads a digested day from its digest, not the index', async () => {
    await seedTrail();
    await digestAuditDays(
      runDeps(new ManualClock('2026-03-06T12:00:00.000Z'), { firstDay: '2026-03-01' }).deps,
    );
    // A digest rewritten without its newest event: the answer follows the digest (verify reports it).
    const store = digestStore();
    const [day] = await collect(store.readTarget('prod-role', '2026-03-03', '2026-03-03'));
    const dropped = day?.events[0] as AuditEvent;
    await store.writeDay('2026-03-03', [{ ...(day as DayDigest), events: day?.events.slice(1) ?? [] }]);
    const reader = new DynamoAuditQuery(db().doc, db().names.audit, undefined, undefined, undefined, store);
    const answer = await collect(
      reader.stream(
        { targetId: 'prod-role', from: '2026-03-03T00:00:00.000Z' },
        new Date('2026-03-06T12:00:00.000Z'),
      ),
    );
    expect(ids(answer)).not.toContain(`${dropped.chain}#${dropped.seq}`);
    const indexOnly = new DynamoAuditQuery(db().doc, db().names.audit);
    const fromIndex = await collect(
      indexOnly.stream(
        { targetId: 'prod-role', from: '2026-03-03T00:00:00.000Z' },
        new Date('2026-03-06T12:00:00.000Z'),
      ),
    );
    expect(ids(fromIndex)).toContain(`${dropped.chain}#${dropped.seq}`);
  });
});

describe('verify checks the digests against the trail', () => {
  async function digestedTrail() {
    await seedTrail();
    const clock = new ManualClock('2026-03-06T12:00:00.000Z');
    await digestAuditDays(runDeps(clock, { firstDay: '2026-03-01' }).deps);
    const trail = new DynamoAuditQuery(db().doc, db().names.audit);
    const store = digestStore();
    const verify = () => verifyAudit({ chains: trail, clock, digests: { store, trail } });
    return { store, verify };
  }

  it('finds every digest of the span equal to the trail', async () => {
    const { verify } = await digestedTrail();
    const result = await verify();
    expect(result.ok).toBe(true);
    expect(result.digests).toEqual({
      span: { since: '2026-03-01', through: '2026-03-05' },
      verified: 10,
      findings: [],
    });
  });

  it('reports a digest edited, emptied of an event, missing, unreadable or of a target with no events', async () => {
    const { store, verify } = await digestedTrail();
    const day = async (targetId: string, date: string) =>
      (await collect(store.readTarget(targetId, date, date)))[0] as DayDigest;
    // An event dropped; an event's reason edited (its hash kept).
    const dropped = await day('prod-role', '2026-03-02');
    await store.writeDay('2026-03-02', [{ ...dropped, events: dropped.events.slice(1) }]);
    const edited = await day('dev-group', '2026-03-03');
    await store.writeDay('2026-03-03', [
      { ...edited, events: edited.events.map((e, i) => (i === 2 ? { ...e, reason: 'nothing to see' } : e)) },
    ]);
    // A target's digest replaced by one that claims more parts than it has.
    await putPartClaiming('prod-role', '2026-03-04', 2);
    // A digest for a target that had nothing that day (events borrowed from another target).
    await store.writeDay('2026-03-01', [
      { ...(await day('dev-group', '2026-03-01')), targetId: 'ghost-role' },
    ]);
    // A day after the span, as a run that stopped before moving it leaves it: not read, not reported.
    await store.writeDay('2026-03-06', [{ ...(await day('dev-group', '2026-03-05')), day: '2026-03-06' }]);

    const result = await verify();
    expect(result.ok).toBe(false);
    // The trail itself is sound: only the digests are reported.
    expect(result.breaks).toEqual([]);
    expect([...(result.digests?.findings ?? [])].sort()).toEqual([
      '2026-03-01 ghost-role: a digest for a target with no events that day',
      '2026-03-02 prod-role: the digest differs from the trail (events edited, dropped, added or reordered)',
      '2026-03-03 dev-group: the digest differs from the trail (events edited, dropped, added or reordered)',
      '2026-03-04 prod-role: The audit digest of prod-role on 2026-03-04 is missing parts; run verify',
    ]);
    expect(result.digests?.verified).toBe(7);
  });
});
