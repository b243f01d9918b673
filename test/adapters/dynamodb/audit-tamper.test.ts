import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoAuditQuery } from '../../../shared/adapters/dynamodb/audit-query.js';
import { chainFor, type AuditEventInput } from '../../../shared/domain/audit.js';
import { verifyAudit } from '../../../shared/usecases/verify-audit.js';
import { useLocalTables, type LocalTables } from '../../support/local-dynamo.js';

const db = useLocalTables();

const REQUEST = 'req-tamper';
const CHAIN = chainFor(REQUEST, 8);

function input(n: number, requestId = REQUEST): AuditEventInput {
  return {
    type: 'request.approval-recorded',
    at: `2026-03-01T10:00:${String(n).padStart(2, '0')}.000Z`,
    actor: `ULEAD${n}`,
    subject: 'UDEV1',
    targetId: 'prod-role',
    requestId,
    fromStatus: 'PENDING',
    toStatus: 'PENDING',
    reason: 'deploy',
    approvers: [`ULEAD${n}`],
    breakGlass: n === 2,
  };
}

/** Five events on one chain, plus one event on another chain that nobody touches. */
async function seed(tables: LocalTables): Promise<void> {
  for (let n = 1; n <= 5; n++) await tables.audit.append(input(n));
  const other = ['req-a', 'req-b', 'req-c', 'req-d'].find((r) => chainFor(r, 8) !== CHAIN) as string;
  await tables.audit.append(input(9, other));
}

const key = (seq: number) => ({ chain: CHAIN, seq });

async function getItem(tables: LocalTables, seq: number): Promise<Record<string, unknown>> {
  const { Item } = await tables.doc.send(new GetCommand({ TableName: tables.names.audit, Key: key(seq) }));
  if (!Item) throw new Error(`no item ${seq}`);
  return Item;
}

type Tamper = (tables: LocalTables) => Promise<void>;

const tamperings: { description: string; tamper: Tamper; kind: string; seq: number }[] = [
  {
    description: 'a field edited (the actor of #3)',
    tamper: async (t) => {
      await t.doc.send(
        new UpdateCommand({
          TableName: t.names.audit,
          Key: key(3),
          UpdateExpression: 'SET actor = :a',
          ExpressionAttributeValues: { ':a': 'UMALLORY' },
        }),
      );
    },
    kind: 'hash-mismatch',
    seq: 3,
  },
  {
    description: 'an event deleted (#3)',
    tamper: async (t) => {
      await t.doc.send(new DeleteCommand({ TableName: t.names.audit, Key: key(3) }));
    },
    kind: 'gap',
    seq: 3,
  },
  {
    description: 'two events swapped (#2 and #4 exchange places)',
    tamper: async (t) => {
      const [two, four] = [await getItem(t, 2), await getItem(t, 4)];
      await t.doc.send(new PutCommand({ TableName: t.names.audit, Item: { ...four, seq: 2 } }));
      await t.doc.send(new PutCommand({ TableName: t.names.audit, Item: { ...two, seq: 4 } }));
    },
    kind: 'broken-link',
    seq: 2,
  },
  {
    description: 'an event inserted (a copy of #1 put at #6, head untouched)',
    tamper: async (t) => {
      await t.doc.send(
        new PutCommand({ TableName: t.names.audit, Item: { ...(await getItem(t, 1)), seq: 6 } }),
      );
    },
    kind: 'broken-link',
    seq: 6,
  },
  {
    description: 'the newest event deleted',
    tamper: async (t) => {
      await t.doc.send(new DeleteCommand({ TableName: t.names.audit, Key: key(5) }));
    },
    kind: 'head-mismatch',
    seq: 5,
  },
  {
    description: 'an event hidden from the time-range index (its day edited)',
    tamper: async (t) => {
      await t.doc.send(
        new UpdateCommand({
          TableName: t.names.audit,
          Key: key(4),
          UpdateExpression: 'SET #d = :d',
          ExpressionAttributeNames: { '#d': 'day' },
          ExpressionAttributeValues: { ':d': '1999-01-01' },
        }),
      );
    },
    kind: 'hash-mismatch',
    seq: 4,
  },
  {
    description: 'an event hidden from the break-glass index (its sparse key removed)',
    tamper: async (t) => {
      await t.doc.send(
        new UpdateCommand({
          TableName: t.names.audit,
          Key: key(2),
          UpdateExpression: 'REMOVE breakGlassKey',
        }),
      );
    },
    kind: 'hash-mismatch',
    seq: 2,
  },
];

describe('verifyAudit on DynamoDB Local', () => {
  it('finds a sound trail sound', async () => {
    await seed(db());
    const result = await verifyAudit({ chains: new DynamoAuditQuery(db().doc, db().names.audit) });
    expect(result.ok).toBe(true);
    expect(result.chains).toHaveLength(8);
    expect(result.chains.reduce((n, c) => n + c.verified, 0)).toBe(6);
    expect(result.chains.find((c) => c.chain === CHAIN)).toMatchObject({ verified: 5, head: { seq: 5 } });
  });

  it.each(tamperings)(
    'catches $description at $kind #$seq, and only on that chain',
    async ({ tamper, kind, seq }) => {
      await seed(db());
      await tamper(db());
      const result = await verifyAudit({ chains: new DynamoAuditQuery(db().doc, db().names.audit) });
      expect(result.ok).toBe(false);
      expect(result.breaks).toEqual([expect.objectContaining({ chain: CHAIN, kind, seq })]);
    },
  );
});
