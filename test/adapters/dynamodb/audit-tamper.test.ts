import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  auditEventToItem,
  AuditWriteError,
  manifestKeyOf,
} from '../../../shared/adapters/dynamodb/audit-log.js';
import { DynamoAuditQuery } from '../../../shared/adapters/dynamodb/audit-query.js';
import {
  chainFor,
  chainNames,
  GENESIS_HASH,
  sealEvent,
  type AuditEventInput,
} from '../../../shared/domain/audit.js';
import { verifyAudit } from '../../../shared/usecases/verify-audit.js';
import { ManualClock } from '../../support/fakes.js';
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

const verify = (t: LocalTables) =>
  verifyAudit({
    chains: new DynamoAuditQuery(t.doc, t.names.audit, 8, () => {}),
    clock: new ManualClock('2026-03-02T00:00:00.000Z'),
  });

const deleteItem = (t: LocalTables, seq: number) =>
  t.doc.send(new DeleteCommand({ TableName: t.names.audit, Key: key(seq) }));

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
  {
    description: 'the whole chain deleted, its head included',
    tamper: async (t) => {
      for (let seq = 0; seq <= 5; seq++) await deleteItem(t, seq);
    },
    kind: 'manifest-mismatch',
    seq: 1,
  },
  {
    description: 'the tail truncated (#4 and #5) and the head rewritten to match #3',
    tamper: async (t) => {
      const three = await getItem(t, 3);
      await deleteItem(t, 5);
      await deleteItem(t, 4);
      await t.doc.send(
        new UpdateCommand({
          TableName: t.names.audit,
          Key: key(0),
          UpdateExpression: 'SET headSeq = :seq, headHash = :hash',
          ExpressionAttributeValues: { ':seq': 3, ':hash': three.hash },
        }),
      );
    },
    kind: 'manifest-mismatch',
    seq: 4,
  },
];

describe('verifyAudit on DynamoDB Local', () => {
  it('finds a sound trail sound', async () => {
    await seed(db());
    const result = await verify(db());
    expect(result).toMatchObject({ ok: true, misplaced: [], warnings: [] });
    expect(result.chains).toHaveLength(8);
    expect(result.chains.reduce((n, c) => n + c.verified, 0)).toBe(6);
    expect(result.chains.find((c) => c.chain === CHAIN)).toMatchObject({
      verified: 5,
      head: { seq: 5 },
      manifest: { seq: 5 },
    });
  });

  it.each(tamperings)(
    'catches $description at $kind #$seq, and only on that chain',
    async ({ tamper, kind, seq }) => {
      await seed(db());
      await tamper(db());
      const result = await verify(db());
      expect(result.ok).toBe(false);
      expect(result.breaks).toEqual([expect.objectContaining({ chain: CHAIN, kind, seq })]);
    },
  );

  it('reports an event with a valid hash stored under an unknown chain (chain-99), naming it', async () => {
    await seed(db());
    const forged = sealEvent({ ...input(7), actor: 'UMALLORY' }, 'chain-99', { seq: 0, hash: GENESIS_HASH });
    await db().doc.send(new PutCommand({ TableName: db().names.audit, Item: auditEventToItem(forged) }));
    const result = await verify(db());
    expect(result.ok).toBe(false);
    expect(result.breaks).toEqual([]);
    expect(result.misplaced).toEqual([
      expect.objectContaining({ chain: 'chain-99', seq: 1, requestId: REQUEST, expectedChain: CHAIN }),
    ]);
  });

  it('refuses to append to a chain deleted with its head (it would start over at #1)', async () => {
    await seed(db());
    for (let seq = 0; seq <= 5; seq++) await deleteItem(db(), seq);
    await expect(db().audit.append(input(6))).rejects.toBeInstanceOf(AuditWriteError);
  });

  it('verifies a trail written before manifests were kept, with a warning per used chain', async () => {
    await seed(db());
    // Earlier releases kept no manifest entries: remove them to get that trail.
    for (const chain of chainNames(8)) {
      await db().doc.send(new DeleteCommand({ TableName: db().names.audit, Key: manifestKeyOf(chain) }));
    }
    const legacy = await verify(db());
    expect(legacy).toMatchObject({ ok: true, breaks: [], misplaced: [] });
    expect(legacy.warnings).toHaveLength(2);
    expect(legacy.warnings).toContainEqual(expect.stringContaining(`${CHAIN}: no manifest entry`));

    // The next append creates the chain's manifest entry; its warning goes away.
    await db().audit.append(input(6));
    const after = await verify(db());
    expect(after.ok).toBe(true);
    expect(after.warnings).toHaveLength(1);
    expect(after.chains.find((c) => c.chain === CHAIN)).toMatchObject({ manifest: { seq: 6 } });
  });
});
