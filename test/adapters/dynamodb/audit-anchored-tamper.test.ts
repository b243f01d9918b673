import { createPublicKey } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { FolderAnchorStore } from '../../../shared/adapters/anchors/folder-anchor-store.js';
import { LocalDigestSigner } from '../../../shared/adapters/anchors/local-digest-signer.js';
import {
  auditEventToItem,
  itemToAuditEvent,
  manifestKeyOf,
} from '../../../shared/adapters/dynamodb/audit-log.js';
import { DynamoAuditQuery } from '../../../shared/adapters/dynamodb/audit-query.js';
import { chainFor, sealEvent, type AuditEvent, type AuditEventInput } from '../../../shared/domain/audit.js';
import { anchorAuditHeads } from '../../../shared/usecases/anchor-audit.js';
import { verifyAudit } from '../../../shared/usecases/verify-audit.js';
import { verifyAnchoredAudit } from '../../../shared/usecases/verify-anchors.js';
import { ManualClock } from '../../support/fakes.js';
import { useLocalTables, type LocalTables } from '../../support/local-dynamo.js';

const db = useLocalTables();

const REQUEST = 'req-anchored';
const CHAIN = chainFor(REQUEST, 8);

function input(n: number, actor = `ULEAD${n}`): AuditEventInput {
  return {
    type: 'request.approval-recorded',
    at: `2026-03-01T10:00:${String(n).padStart(2, '0')}.000Z`,
    actor,
    subject: 'UDEV1',
    targetId: 'prod-role',
    requestId: REQUEST,
    breakGlass: false,
  };
}

const silent = { info: () => {}, warn: () => {}, error: () => {} };

function setup(t: LocalTables) {
  const clock = new ManualClock('2026-03-01T10:05:00.000Z');
  const signer = LocalDigestSigner.ephemeral();
  const store = new FolderAnchorStore(mkdtempSync(join(tmpdir(), 'jit-anchors-')));
  const chains = new DynamoAuditQuery(t.doc, t.names.audit, 8, () => {});
  const counted: string[] = [];
  const anchor = () =>
    anchorAuditHeads({
      chains,
      signer,
      store,
      clock,
      table: t.names.audit,
      logger: silent,
      metrics: { count: (name) => counted.push(name) },
    });
  const verifyPlain = () => verifyAudit({ chains, clock });
  const verifyAnchored = async () =>
    verifyAnchoredAudit({
      chains,
      clock,
      anchors: store,
      publicKey: createPublicKey(signer.publicKeyPem()),
      table: t.names.audit,
    });
  return { clock, store, anchor, verifyPlain, verifyAnchored, counted };
}

/**
 * Rewrites the chain from `from` on as a writer of the table could: new content for #from,
 * every later event re-sealed on it, and the head and manifest entry set to the new end.
 */
async function rewriteConsistently(t: LocalTables, from: number): Promise<void> {
  const events: AuditEvent[] = [];
  for (let seq = 1; ; seq++) {
    const { Item } = await t.doc.send(
      new GetCommand({ TableName: t.names.audit, Key: { chain: CHAIN, seq } }),
    );
    if (!Item) break;
    events.push(itemToAuditEvent(Item));
  }
  let prev = events[from - 2] as AuditEvent;
  for (const event of events.slice(from - 1)) {
    const { chain: _c, seq: _s, prevHash: _p, hash: _h, ...content } = event;
    const forged = sealEvent(event.seq === from ? { ...content, actor: 'UMALLORY' } : content, CHAIN, prev);
    await t.doc.send(new PutCommand({ TableName: t.names.audit, Item: auditEventToItem(forged) }));
    prev = forged;
  }
  await setEnd(t, prev.seq, prev.hash);
}

/** Sets the chain's head and manifest entry to (`seq`, `hash`), as an append would have. */
async function setEnd(t: LocalTables, seq: number, hash: string): Promise<void> {
  const end = { ':seq': seq, ':hash': hash };
  await t.doc.send(
    new UpdateCommand({
      TableName: t.names.audit,
      Key: { chain: CHAIN, seq: 0 },
      UpdateExpression: 'SET headSeq = :seq, headHash = :hash',
      ExpressionAttributeValues: end,
    }),
  );
  await t.doc.send(
    new UpdateCommand({
      TableName: t.names.audit,
      Key: manifestKeyOf(CHAIN),
      UpdateExpression: 'SET lastSeq = :seq, lastHash = :hash',
      ExpressionAttributeValues: end,
    }),
  );
}

describe('verify --anchored on DynamoDB Local', () => {
  it('finds an anchored, untouched trail sound, and anchors again only when heads moved', async () => {
    const s = setup(db());
    for (let n = 1; n <= 3; n++) await db().audit.append(input(n));
    expect(await s.anchor()).toMatchObject({ status: 'anchored' });
    s.clock.advance(300);
    expect(await s.anchor()).toMatchObject({ status: 'unchanged' });
    await db().audit.append(input(4));
    expect(await s.anchor()).toMatchObject({ status: 'anchored' });
    const result = await s.verifyAnchored();
    expect(result.anchors).toMatchObject({ checked: 2, findings: [] });
    expect(result.ok).toBe(true);
  });

  it('catches a rewrite consistent with itself (events, head, manifest) that plain verify passes', async () => {
    const s = setup(db());
    for (let n = 1; n <= 5; n++) await db().audit.append(input(n));
    await s.anchor();
    await rewriteConsistently(db(), 3);

    expect((await s.verifyPlain()).ok).toBe(true);
    const anchored = await s.verifyAnchored();
    expect(anchored.ok).toBe(false);
    expect(anchored.breaks).toEqual([]);
    expect(anchored.anchors.findings).toEqual([
      expect.objectContaining({
        chain: CHAIN,
        seq: 5,
        expected: expect.any(String),
        actual: expect.any(String),
      }),
    ]);
    expect(anchored.anchors.findings[0]?.message).toContain(`${CHAIN} #5`);
  });

  it('refuses to anchor the rewritten heads, and a later anchor of a longer rewrite does not hide it', async () => {
    const s = setup(db());
    for (let n = 1; n <= 5; n++) await db().audit.append(input(n));
    await s.anchor();
    await rewriteConsistently(db(), 3);
    s.clock.advance(300);
    expect(await s.anchor()).toMatchObject({ status: 'refused', problems: [expect.stringContaining(CHAIN)] });
    expect(s.counted).toEqual(['AnchorsWritten', 'AnchorFailures']);

    // The rewriter appends past the anchored end; the schedule then signs the new heads.
    await db().audit.append(input(6));
    s.clock.advance(300);
    expect(await s.anchor()).toMatchObject({ status: 'anchored' });
    const anchored = await s.verifyAnchored();
    expect(anchored.ok).toBe(false);
    expect(anchored.anchors.findings).toContainEqual(expect.objectContaining({ chain: CHAIN, seq: 5 }));
  });

  it('catches a chain truncated below its anchored end, its head and manifest entry moved back to match', async () => {
    const s = setup(db());
    for (let n = 1; n <= 5; n++) await db().audit.append(input(n));
    await s.anchor();
    for (const seq of [5, 4]) {
      await db().doc.send(new DeleteCommand({ TableName: db().names.audit, Key: { chain: CHAIN, seq } }));
    }
    const { Item } = await db().doc.send(
      new GetCommand({ TableName: db().names.audit, Key: { chain: CHAIN, seq: 3 } }),
    );
    await setEnd(db(), 3, Item?.hash as string);

    expect((await s.verifyPlain()).ok).toBe(true);
    const anchored = await s.verifyAnchored();
    expect(anchored.ok).toBe(false);
    expect(anchored.anchors.findings).toEqual([
      expect.objectContaining({ chain: CHAIN, seq: 5, message: expect.stringContaining('ends at #3') }),
    ]);
  });

  it('trusts no anchor whose signature does not verify with the given public key', async () => {
    const s = setup(db());
    await db().audit.append(input(1));
    await s.anchor();
    const result = await verifyAnchoredAudit({
      chains: new DynamoAuditQuery(db().doc, db().names.audit, 8, () => {}),
      clock: s.clock,
      anchors: s.store,
      publicKey: createPublicKey(LocalDigestSigner.ephemeral().publicKeyPem()),
      table: db().names.audit,
    });
    expect(result.ok).toBe(false);
    expect(result.anchors.checked).toBe(0);
    expect(result.anchors.findings.map((f) => f.message)).toEqual([
      expect.stringContaining('the signature does not verify'),
      expect.stringContaining('no valid anchor'),
    ]);
  });
});
