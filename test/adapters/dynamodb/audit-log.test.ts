import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../shared/adapters/dynamodb/audit-log.js';
import { DynamoAuditQuery } from '../../../shared/adapters/dynamodb/audit-query.js';
import type { AuditEventInput } from '../../../shared/domain/audit.js';
import { verifyAudit } from '../../../shared/usecases/verify-audit.js';
import { ManualClock } from '../../support/fakes.js';
import { localDynamoClient, useLocalTables } from '../../support/local-dynamo.js';

const db = useLocalTables();

function input(n: number): AuditEventInput {
  return {
    type: 'request.submitted',
    at: `2026-03-01T09:00:${String(n % 60).padStart(2, '0')}.000Z`,
    actor: 'UDEV1',
    subject: 'UDEV1',
    targetId: 'prod-role',
    requestId: `req-${n}`,
    breakGlass: false,
  };
}

/** A one-chain audit log on the test's tables whose client counts commands and cancellations. */
function countedLog(headCacheMs?: number) {
  const client = localDynamoClient();
  const calls: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = (context as { commandName?: string }).commandName ?? '?';
      try {
        const out = await next(args);
        calls.push(name);
        return out;
      } catch (error) {
        calls.push(`${name}:${(error as Error).name}`);
        throw error;
      }
    },
    { step: 'initialize' },
  );
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const log = new DynamoAuditLog(doc, db().names.audit, 1, headCacheMs);
  const count = (name: string) => calls.filter((c) => c === name).length;
  return { log, calls, count, destroy: () => client.destroy() };
}

async function chainIsWhole() {
  const reader = new DynamoAuditQuery(db().doc, db().names.audit, 1);
  return verifyAudit({ chains: reader, clock: new ManualClock('2026-03-01T10:00:00.000Z') });
}

describe('DynamoAuditLog appends (DynamoDB Local)', () => {
  it('appends of one instance to one chain never contend with each other, and read the head once', async () => {
    const { log, calls, count, destroy } = countedLog(60_000);
    try {
      const events = await Promise.all(Array.from({ length: 12 }, (_, i) => log.append(input(i + 1))));

      expect(events.map((e) => e.seq).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 12 }, (_, i) => i + 1),
      );
      // One transaction per event, none cancelled on the head, and only the first read it.
      expect(count('TransactWriteItemsCommand')).toBe(12);
      expect(calls.filter((c) => c.includes('Exception'))).toEqual([]);
      expect(count('GetItemCommand')).toBe(1);
      expect(await chainIsWhole()).toMatchObject({ ok: true, breaks: [] });
    } finally {
      destroy();
    }
  });

  it('a head moved by another writer after it was cached is read again, and the chain stays whole', async () => {
    const mine = countedLog(60_000);
    const other = countedLog();
    try {
      await mine.log.append(input(1));
      await other.log.append(input(2)); // the head mine cached is now stale
      const event = await mine.log.append(input(3));

      expect(event.seq).toBe(3);
      expect(mine.count('TransactWriteItemsCommand:TransactionCanceledException')).toBe(1);
      expect(await chainIsWhole()).toMatchObject({ ok: true, breaks: [] });
    } finally {
      mine.destroy();
      other.destroy();
    }
  });

  it('reads the head before every append when the cache is off', async () => {
    const { log, count, destroy } = countedLog(0);
    try {
      for (let n = 1; n <= 3; n++) await log.append(input(n));
      expect(count('GetItemCommand')).toBe(3);
    } finally {
      destroy();
    }
  });
});
