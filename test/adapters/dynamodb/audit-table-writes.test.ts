import { describe, expect, it } from 'vitest';
import { DynamoPolicyVersions } from '../../../shared/adapters/dynamodb/policy-versions.js';
import { DynamoReviewMarkers } from '../../../shared/adapters/dynamodb/review-markers.js';
import { useLocalTables } from '../../support/local-dynamo.js';

/**
 * The broker's permissions boundaries deny PutItem and UpdateItem on the audit table unless
 * they are part of a TransactWriteItems (`dynamodb:EnclosingOperation`). A lone write that
 * works on DynamoDB Local would be AccessDenied in AWS: every writer of audit-table items must
 * go through a transaction. These run the writers kept beside the chains and watch the wire.
 */
describe('writes to the audit table are transactions, as the boundary requires', () => {
  const db = useLocalTables();

  function recordCommands(): string[] {
    const commands: string[] = [];
    db().doc.middlewareStack.add(
      (next, context) => async (args) => {
        commands.push(context.commandName ?? 'unknown');
        return next(args);
      },
      { step: 'initialize', name: 'recordAuditTableCommands' },
    );
    return commands;
  }
  const loneWrites = (commands: string[]) =>
    commands.filter((name) => /^(Put|Update|Delete|BatchWrite)/.test(name));

  it('policy versions: kept once (a second keep is a no-op), readable, written in a transaction', async () => {
    const commands = recordCommands();
    const versions = new DynamoPolicyVersions(db().doc, db().names.audit);
    const version = { sha256: 'a'.repeat(64), text: 'targets: []\n' };
    await versions.keep(version);
    await versions.keep({ ...version, text: 'changed: the first kept text stays\n' });
    expect(await versions.get(version.sha256)).toBe('targets: []\n');
    expect(commands).toContain('TransactWriteItemsCommand');
    expect(loneWrites(commands)).toEqual([]);
  });

  it('review markers: claim, busy while claimed, delivered once completed; release only frees a claim', async () => {
    const commands = recordCommands();
    const markers = new DynamoReviewMarkers(db().doc, db().names.audit);
    const now = new Date('2026-11-30T06:00:00.000Z');
    expect(await markers.claim('2026-11-23', now, 60_000)).toBe('claimed');
    expect(await markers.claim('2026-11-23', now, 60_000)).toBe('busy');
    await markers.release('2026-11-23');
    expect(await markers.claim('2026-11-23', now, 60_000)).toBe('claimed');
    await markers.complete('2026-11-23', now, { location: 'reviews/2026-11-23.csv', posted: true });
    await markers.release('2026-11-23'); // not claimed any more: nothing changes
    expect(await markers.claim('2026-11-23', new Date('2026-12-30T00:00:00.000Z'), 60_000)).toBe('delivered');
    expect(loneWrites(commands)).toEqual([]);
  });
});
