import pLimit from 'p-limit';
import { describe, expect, it } from 'vitest';
import { auditEventToItem } from '../../../shared/adapters/dynamodb/audit-log.js';
import { DynamoAuditQuery } from '../../../shared/adapters/dynamodb/audit-query.js';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  chainFor,
  chainName,
  GENESIS_HASH,
  sealEvent,
  type AuditEvent,
  type AuditEventInput,
  type MisplacedEvent,
} from '../../../shared/domain/audit.js';
import {
  matchesAuditFilter,
  parseAuditQuery,
  type AuditQueryInput,
} from '../../../shared/domain/audit-query.js';
import { ValidationError } from '../../../shared/domain/errors.js';
import type { RequestStatus } from '../../../shared/domain/lifecycle.js';
import { exportAudit, queryAudit } from '../../../shared/usecases/query-audit.js';
import { ManualClock } from '../../support/fakes.js';
import { useLocalTables } from '../../support/local-dynamo.js';

const db = useLocalTables();

const PEOPLE = ['UANA', 'UBEN', 'UCAT', 'UDAN'];
const TARGETS = ['prod-role', 'dev-group', 'audit-role'];
const STATUSES: (RequestStatus | undefined)[] = [
  'PENDING',
  'APPROVED',
  'ACTIVE',
  'EXPIRED',
  'REVOKED',
  undefined,
];

/**
 * 120 events over five days (2026-03-01 … 03-05), spread over people, targets, statuses and
 * break-glass; several share a millisecond, to test the order of ties.
 */
function inputs(): AuditEventInput[] {
  return Array.from({ length: 120 }, (_, i) => {
    const minute = Math.floor(i / 2) * 110; // pairs share a time; 1 h 50 apart
    const at = new Date(Date.parse('2026-03-01T00:00:00.000Z') + minute * 60_000).toISOString();
    const toStatus = STATUSES[i % STATUSES.length];
    return {
      type: 'request.approved',
      at,
      actor: `ULEAD${i % 3}`,
      subject: PEOPLE[i % PEOPLE.length] as string,
      targetId: TARGETS[i % TARGETS.length] as string,
      requestId: `req-${i % 17}`,
      ...(toStatus ? { toStatus } : {}),
      reason: `event ${i}`,
      breakGlass: i % 7 === 0,
    };
  });
}

async function seed(): Promise<AuditEvent[]> {
  const limit = pLimit(8);
  return Promise.all(inputs().map((e) => limit(() => db().audit.append(e))));
}

/** The reference order: the index sort key (`at#chain#seq`), descending. */
const sortKeyOf = (e: AuditEvent) => auditEventToItem(e).sortKey as string;
const newestFirst = (events: AuditEvent[]) =>
  [...events].sort((a, b) => sortKeyOf(b).localeCompare(sortKeyOf(a)));

const ids = (events: readonly AuditEvent[]) => events.map((e) => `${e.chain}#${e.seq}`);

function deps() {
  return {
    reader: new DynamoAuditQuery(db().doc, db().names.audit),
    clock: new ManualClock('2026-03-06T00:00:00.000Z'),
  };
}

const filters: { description: string; input: AuditQueryInput }[] = [
  { description: 'one person', input: { person: 'UBEN' } },
  { description: 'one target', input: { target: 'dev-group' } },
  { description: 'one request', input: { requestId: 'req-3' } },
  { description: 'one status', input: { status: 'REVOKED' } },
  { description: 'break-glass only', input: { breakGlass: true } },
  {
    description: 'everything in a range across three days',
    input: { from: '2026-03-02T06:00:00Z', to: '2026-03-04T18:00:00Z' },
  },
  { description: 'everything from a day on (open end)', input: { from: '2026-03-04' } },
  {
    description: 'not break-glass, in a range',
    input: { breakGlass: false, from: '2026-03-01', to: '2026-03-03' },
  },
  {
    description: 'person and target in a range',
    input: { person: 'UANA', target: 'prod-role', from: '2026-03-02', to: '2026-03-05' },
  },
  { description: 'target and status', input: { target: 'prod-role', status: 'ACTIVE' } },
  { description: 'status and break-glass', input: { status: 'PENDING', breakGlass: true } },
  {
    description: 'person, not break-glass, until a time',
    input: { person: 'UCAT', breakGlass: false, to: '2026-03-03T12:00:00Z' },
  },
  { description: 'a person with no events', input: { person: 'UNOBODY' } },
];

describe('auditors’ queries on DynamoDB Local', () => {
  // Many filters × page sizes against DynamoDB Local: seconds on a quiet machine, far more on a loaded one.
  it('returns exactly the matching events, newest first, across pages of every size', async () => {
    const all = await seed();
    for (const { description, input } of filters) {
      const expected = newestFirst(all.filter((e) => matchesAuditFilter(e, parseAuditQuery(input).filter)));
      for (const limit of [1, 7, 50]) {
        const pages: AuditEvent[][] = [];
        let cursor: string | undefined;
        do {
          const page = await queryAudit(deps(), { ...input, limit, ...(cursor ? { cursor } : {}) });
          pages.push([...page.items]);
          cursor = page.cursor;
        } while (cursor && pages.length < 200);
        const got = pages.flat();
        expect(ids(got), `${description}, pages of ${limit}`).toEqual(ids(expected));
        // Full pages until the last; the last page is never empty unless nothing matches.
        expect(
          pages.slice(0, -1).every((p) => p.length === limit),
          description,
        ).toBe(true);
        expect((pages.at(-1) ?? []).length > 0 || expected.length === 0, description).toBe(true);
      }
      const streamed: AuditEvent[] = [];
      for await (const e of exportAudit(deps(), input)) streamed.push(e);
      expect(ids(streamed), `${description}, streamed`).toEqual(ids(expected));
    }
    // The fixture exercises what it claims: ties, several days, break-glass.
    expect(new Set(all.map((e) => e.at.slice(0, 10))).size).toBe(5);
    expect(all.filter((e) => e.breakGlass).length).toBeGreaterThan(10);
  }, 180_000);

  // Large partitions (a target, a status) with a time range are read in time slices at once,
  // and day walks several days at once; the answer must not depend on how the reads are spread.
  it('answers the same, in the same order, however a read is sliced and windowed', async () => {
    const all = await seed();
    const sliced: { description: string; input: AuditQueryInput }[] = [
      {
        description: 'a target from a time on (open end)',
        input: { target: 'dev-group', from: '2026-03-01T07:00:00Z' },
      },
      {
        description: 'a target in a range',
        input: { target: 'prod-role', from: '2026-03-01', to: '2026-03-05T13:00:00Z' },
      },
      { description: 'a status from a day on', input: { status: 'EXPIRED', from: '2026-03-02' } },
      {
        description: 'a target, not break-glass',
        input: { target: 'audit-role', breakGlass: false, from: '2026-03-01' },
      },
      { description: 'everything in a range', input: { from: '2026-03-01T12:00:00Z', to: '2026-03-05' } },
    ];
    const readers = [
      { slices: 1, window: 1 },
      { slices: 2, window: 2, spreadPlainPages: true },
      { slices: 4, window: 4, spreadPlainPages: true },
      { slices: 7, window: 3, spreadPlainPages: true },
      // The default: plain pages one request at a time, filtered pages and streams spread.
      { slices: 4, window: 4 },
    ].map((options) => ({
      options,
      deps: {
        reader: new DynamoAuditQuery(db().doc, db().names.audit, undefined, undefined, options),
        clock: new ManualClock('2026-03-06T00:00:00.000Z'),
      },
    }));
    for (const { description, input } of sliced) {
      const expected = ids(
        newestFirst(all.filter((e) => matchesAuditFilter(e, parseAuditQuery(input).filter))),
      );
      expect(expected.length, description).toBeGreaterThan(5);
      for (const { options, deps: readerDeps } of readers) {
        const label = `${description}, ${options.slices} slices${options.spreadPlainPages ? ', plain pages too' : ''}`;
        for (const limit of [3, 50]) {
          const got: AuditEvent[] = [];
          let cursor: string | undefined;
          do {
            const page = await queryAudit(readerDeps, { ...input, limit, ...(cursor ? { cursor } : {}) });
            expect(page.items.length === limit || page.cursor === undefined, label).toBe(true);
            got.push(...page.items);
            cursor = page.cursor;
          } while (cursor);
          expect(ids(got), `${label}, pages of ${limit}`).toEqual(expected);
        }
        const streamed: AuditEvent[] = [];
        for await (const e of exportAudit(readerDeps, input)) streamed.push(e);
        expect(ids(streamed), `${label}, streamed`).toEqual(expected);
      }
      // A cursor from a reader that reads one request at a time resumes in a sliced one.
      const first = await queryAudit(readers[0]!.deps, { ...input, limit: 4 });
      const rest: AuditEvent[] = [...first.items];
      let cursor = first.cursor;
      while (cursor) {
        const page = await queryAudit(readers[2]!.deps, { ...input, limit: 4, cursor });
        rest.push(...page.items);
        cursor = page.cursor;
      }
      expect(ids(rest), `${description}, resumed across readers`).toEqual(expected);
    }
  }, 300_000);

  // A plain page takes every item it reads: reading slices or days ahead would decode items
  // past the page's end for nothing. A filtered page (the store drops most items) and a stream
  // (every item is taken) are spread.
  it('reads a plain page one request at a time, and spreads a filtered page and a stream', async () => {
    await seed();
    let queries = 0;
    const counting = new Proxy(db().doc, {
      get(target, property, receiver) {
        if (property !== 'send') return Reflect.get(target, property, receiver) as unknown;
        return (command: Parameters<typeof target.send>[0]) => {
          queries += 1;
          return target.send(command);
        };
      },
    });
    const readerDeps = {
      reader: new DynamoAuditQuery(counting, db().names.audit),
      clock: new ManualClock('2026-03-06T00:00:00.000Z'),
    };
    const count = async (read: () => Promise<unknown>) => {
      queries = 0;
      await read();
      return queries;
    };
    const target = { target: 'dev-group', from: '2026-03-01' };
    expect(await count(() => queryAudit(readerDeps, { ...target, limit: 5 }))).toBe(1);
    expect(
      await count(() => queryAudit(readerDeps, { from: '2026-03-01', to: '2026-03-06', limit: 5 })),
    ).toBe(1);
    expect(
      await count(() => queryAudit(readerDeps, { ...target, breakGlass: false, limit: 5 })),
    ).toBeGreaterThanOrEqual(4);
    expect(
      await count(async () => {
        for await (const e of exportAudit(readerDeps, target)) void e;
      }),
    ).toBeGreaterThanOrEqual(4);
  });

  it('bounds a time range exactly: from inclusive, to exclusive', async () => {
    const all = await seed();
    const at = (all[40] as AuditEvent).at;
    const page = await queryAudit(deps(), {
      from: at,
      to: new Date(Date.parse(at) + 1).toISOString(),
      limit: 100,
    });
    expect(ids(page.items)).toEqual(ids(newestFirst(all.filter((e) => e.at === at))));
    expect(page.items.length).toBe(2);
    const before = await queryAudit(deps(), { from: '2026-03-01', to: at, limit: 1000 });
    expect(before.items.every((e) => e.at < at)).toBe(true);
  });

  it('refuses a cursor from another query, and a forged one', async () => {
    await seed();
    const first = await queryAudit(deps(), { person: 'UANA', limit: 2 });
    expect(first.cursor).toBeDefined();
    await expect(queryAudit(deps(), { person: 'UBEN', limit: 2, cursor: first.cursor })).rejects.toThrow(
      'belongs to a different query',
    );
    await expect(queryAudit(deps(), { person: 'UANA', cursor: 'not-a-cursor' })).rejects.toThrow(
      ValidationError,
    );
  });

  it.each([
    {
      description: 'a day far past the range (9999-12-31)',
      input: { from: '2026-03-02', to: '2026-03-04' },
      day: '9999-12-31',
    },
    {
      description: 'a day after the exclusive end of the range',
      input: { from: '2026-03-02', to: '2026-03-04' },
      day: '2026-03-04',
    },
    {
      description: 'a day before the start of the range',
      input: { from: '2026-03-02', to: '2026-03-04' },
      day: '2026-03-01',
    },
    {
      description: 'a day past the open end (today and one more day)',
      input: { from: '2026-03-04' },
      day: '2026-03-08',
    },
    {
      description: 'a day on a read of one person (no day walk)',
      input: { person: 'UANA' },
      day: '2026-03-02',
    },
  ])(
    'refuses a cursor whose day is forged to $description, before reading anything',
    async ({ input, day }) => {
      await seed();
      const first = await queryAudit(deps(), { ...input, limit: 2 });
      expect(first.cursor).toBeDefined();
      const decoded = JSON.parse(Buffer.from(first.cursor as string, 'base64url').toString('utf8')) as object;
      const forged = Buffer.from(JSON.stringify({ ...decoded, d: day }), 'utf8').toString('base64url');
      let reads = 0;
      const doc = db().doc;
      const counting = new Proxy(doc, {
        get(target, key, receiver) {
          if (key === 'send') {
            return (...args: Parameters<typeof doc.send>) => {
              reads++;
              return doc.send(...args);
            };
          }
          return Reflect.get(target, key, receiver) as unknown;
        },
      });
      const reader = new DynamoAuditQuery(counting, db().names.audit);
      const query = queryAudit({ ...deps(), reader }, { ...input, limit: 2, cursor: forged });
      await expect(query).rejects.toThrow(ValidationError);
      await expect(query).rejects.toThrow('The page cursor is not valid.');
      expect(reads).toBe(0);
    },
  );

  it('accepts a cursor on the oldest planned day and resumes the walk there', async () => {
    const all = await seed();
    const input = { from: '2026-03-02', to: '2026-03-04' };
    const first = await queryAudit(deps(), { ...input, limit: 2 });
    const { k: _key, ...decoded } = JSON.parse(
      Buffer.from(first.cursor as string, 'base64url').toString('utf8'),
    ) as { d?: string; k?: unknown };
    // The walk runs newest day first: the first page ends on the newest planned day.
    expect(decoded.d).toBe('2026-03-03');
    const oldest = Buffer.from(JSON.stringify({ ...decoded, d: '2026-03-02' }), 'utf8').toString('base64url');
    const page = await queryAudit(deps(), { ...input, limit: 1000, cursor: oldest });
    const expected = newestFirst(all.filter((e) => e.at.startsWith('2026-03-02')));
    expect(ids(page.items)).toEqual(ids(expected));
  });

  it('withholds events not on their request’s chain from every query, and reports each one', async () => {
    const all = await seed();
    const genuine = all.filter((e) => e.requestId === 'req-3');
    const home = chainFor('req-3', 8);
    const elsewhere = chainName((Number(home.slice(6)) + 1) % 8);
    const forge = (chain: string, seq: number) =>
      sealEvent({ ...inputs()[3]!, reason: 'forged', actor: 'UMALLORY' }, chain, {
        seq: seq - 1,
        hash: GENESIS_HASH,
      });
    // Valid hashes of their own: one under a chain outside chain-00…07, one on another request's chain.
    for (const forged of [forge('chain-99', 1), forge(elsewhere, 999)]) {
      await db().doc.send(new PutCommand({ TableName: db().names.audit, Item: auditEventToItem(forged) }));
    }
    const findings: MisplacedEvent[] = [];
    const reader = new DynamoAuditQuery(db().doc, db().names.audit, 8, (f) => findings.push(f));
    const withheld = { ...deps(), reader };
    const subject = (inputs()[3] as AuditEventInput).subject;
    for (const input of [
      { requestId: 'req-3' },
      { person: subject },
      { target: (inputs()[3] as AuditEventInput).targetId },
      { from: '2026-03-01' },
    ]) {
      findings.length = 0;
      const page = await queryAudit(withheld, { ...input, limit: 1000 });
      expect(
        page.items.filter((e) => e.reason === 'forged'),
        JSON.stringify(input),
      ).toEqual([]);
      expect(findings.map((f) => `${f.chain}#${f.seq}`).sort(), JSON.stringify(input)).toEqual([
        `${elsewhere}#999`,
        'chain-99#1',
      ]);
    }
    const byRequest = await queryAudit(withheld, { requestId: 'req-3', limit: 1000 });
    expect(ids(byRequest.items)).toEqual(ids(newestFirst(genuine)));
    const streamed: AuditEvent[] = [];
    for await (const e of exportAudit(withheld, { person: subject })) streamed.push(e);
    expect(streamed.filter((e) => e.reason === 'forged')).toEqual([]);
    expect(findings).toContainEqual(
      expect.objectContaining({ chain: 'chain-99', requestId: 'req-3', expectedChain: home }),
    );
  });
});
