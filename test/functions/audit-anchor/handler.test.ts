import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAnchorDeps, createAnchorHandler } from '../../../functions/audit-anchor/handler.js';
import { FolderAnchorStore } from '../../../shared/adapters/anchors/folder-anchor-store.js';
import { LocalDigestSigner } from '../../../shared/adapters/anchors/local-digest-signer.js';
import { DynamoAuditDigests } from '../../../shared/adapters/dynamodb/audit-digests.js';
import { DynamoAuditQuery } from '../../../shared/adapters/dynamodb/audit-query.js';
import { GENESIS_HASH, type AuditEventInput } from '../../../shared/domain/audit.js';
import type { DayDigest } from '../../../shared/domain/audit-digest.js';
import type { AnchorAuditDeps } from '../../../shared/usecases/anchor-audit.js';
import type { DigestAuditDeps } from '../../../shared/usecases/digest-audit.js';
import { ManualClock } from '../../support/fakes.js';
import { useLocalTables } from '../../support/local-dynamo.js';

function deps(seq: number, clock = new ManualClock('2026-03-01T10:00:00Z')) {
  const errors: string[] = [];
  const counted: string[] = [];
  const d: AnchorAuditDeps = {
    chains: {
      chains: ['chain-00'],
      readChainEnds: async () => ({ head: { seq, hash: seq === 0 ? GENESIS_HASH : 'a'.repeat(64) } }),
    },
    signer: LocalDigestSigner.ephemeral(),
    store: new FolderAnchorStore(mkdtempSync(join(tmpdir(), 'jit-anchor-fn-'))),
    clock,
    table: 'audit',
    logger: { info: () => {}, warn: () => {}, error: (m) => errors.push(m) },
    metrics: { count: (name) => counted.push(name) },
  };
  return { deps: d, errors, counted };
}

describe('the audit-anchor function', () => {
  it('anchors moved heads, and nothing when no chain was ever written', async () => {
    expect(await createAnchorHandler(deps(0).deps)({})).toMatchObject({ status: 'unchanged' });
    const moved = deps(3);
    const run = await createAnchorHandler(moved.deps)({});
    expect(run).toMatchObject({
      status: 'anchored',
      anchor: { payload: { heads: [{ chain: 'chain-00', seq: 3 }] } },
    });
    expect(moved.counted).toEqual(['AnchorsWritten']);
  });

  it('stops before signing when the invocation is nearly out of time, counting a failure', async () => {
    const late = deps(3);
    const run = await createAnchorHandler(late.deps)({}, { getRemainingTimeInMillis: () => 1_000 });
    expect(run).toMatchObject({ status: 'failed' });
    expect(late.counted).toEqual(['AnchorFailures']);
  });

  it('fails on start-up naming a missing variable', () => {
    expect(() => createAnchorDeps({ AUDIT_TABLE_NAME: 'a', ANCHOR_KEY_ID: 'k' })).toThrow(/ANCHOR_BUCKET/);
  });
});

describe('the audit-anchor function: digests of closed audit days (DynamoDB Local)', () => {
  const db = useLocalTables();

  const approval = (at: string, targetId: string, n: number): AuditEventInput => ({
    type: 'request.approved',
    at,
    actor: 'ULEAD1',
    subject: 'UANA',
    targetId,
    requestId: `req-${n}`,
    toStatus: 'APPROVED',
    breakGlass: false,
  });

  /** The anchor function's two runs: heads (seq 3, so there is something to anchor), then digests. */
  function withDigests(now: string, overrides: Partial<DigestAuditDeps> = {}) {
    const clock = new ManualClock(now);
    const anchor = deps(3, clock);
    const digests = new DynamoAuditDigests(db().doc, db().names.auditDigests as string);
    const digest: DigestAuditDeps = {
      trail: new DynamoAuditQuery(db().doc, db().names.audit),
      digests,
      clock,
      logger: anchor.deps.logger,
      metrics: anchor.deps.metrics,
      firstDay: '2026-03-01',
      ...overrides,
    };
    return { run: createAnchorHandler(anchor.deps, digest), digests, ...anchor };
  }

  async function collect(days: AsyncIterable<DayDigest>): Promise<DayDigest[]> {
    const out: DayDigest[] = [];
    for await (const day of days) out.push(day);
    return out;
  }

  it('anchors first, then digests every closed day since the first day, one digest per target and day', async () => {
    await db().audit.append(approval('2026-03-01T09:00:00.000Z', 'prod-role', 1));
    await db().audit.append(approval('2026-03-01T10:00:00.000Z', 'dev-group', 2));
    await db().audit.append(approval('2026-03-02T09:00:00.000Z', 'prod-role', 3));
    // 03-02 closed at 03-03T01:00 (an hour past its end); 03-03 is still open.
    const t = withDigests('2026-03-03T02:00:00Z');
    const run = await t.run({}, { getRemainingTimeInMillis: () => 50_000 });
    expect(run).toMatchObject({
      status: 'anchored',
      digest: {
        status: 'digested',
        days: ['2026-03-01', '2026-03-02'],
        span: { since: '2026-03-01', through: '2026-03-02' },
      },
    });
    expect(t.counted).toEqual(['AnchorsWritten', 'DigestedDays']);
    const prod = await collect(t.digests.readTarget('prod-role', '2026-03-02', '2026-03-01'));
    expect(prod.map((d) => [d.day, d.events.map((e) => e.requestId)])).toEqual([
      ['2026-03-02', ['req-3']],
      ['2026-03-01', ['req-1']],
    ]);

    // The next run finds nothing newly closed and leaves the span where it is.
    expect((await t.run({})).digest).toEqual({
      status: 'digested',
      days: [],
      span: { since: '2026-03-01', through: '2026-03-02' },
    });
  });

  it('a digest failure leaves the anchor run as it was: both reported, the failure counted', async () => {
    const t = withDigests('2026-03-03T02:00:00Z', {
      digests: new DynamoAuditDigests(db().doc, 'no-such-digests-table'),
    });
    const run = await t.run({});
    expect(run).toMatchObject({ status: 'anchored', digest: { status: 'failed', days: [] } });
    expect(t.counted).toEqual(['AnchorsWritten', 'DigestFailures']);
    expect(t.errors).toEqual(['audit digest failed; the next run tries again']);
  });

  it('shares the invocation’s budget: nearly out of time, neither anchors nor digests a day', async () => {
    await db().audit.append(approval('2026-03-01T09:00:00.000Z', 'prod-role', 1));
    const t = withDigests('2026-03-03T02:00:00Z');
    const run = await t.run({}, { getRemainingTimeInMillis: () => 1_000 });
    expect(run).toMatchObject({ status: 'failed', digest: { status: 'digested', days: [] } });
    expect(t.counted).toEqual(['AnchorFailures']);
    expect(await t.digests.span()).toBeUndefined();
  });

  it('needs the digests table, and takes an optional first day as YYYY-MM-DD', () => {
    const env = { AUDIT_TABLE_NAME: 'a', ANCHOR_BUCKET: 'b', ANCHOR_KEY_ID: 'k' };
    expect(() => createAnchorDeps(env)).toThrow(/AUDIT_DIGESTS_TABLE_NAME/);
    const withTable = { ...env, AUDIT_DIGESTS_TABLE_NAME: 'digests' };
    expect(() => createAnchorDeps({ ...withTable, AUDIT_DIGEST_FIRST_DAY: '2026-3-1' })).toThrow(
      /AUDIT_DIGEST_FIRST_DAY: must be a day \(YYYY-MM-DD\)/,
    );
    expect(createAnchorDeps(withTable).digest).not.toHaveProperty('firstDay');
    expect(createAnchorDeps({ ...withTable, AUDIT_DIGEST_FIRST_DAY: '2026-02-01' }).digest).toMatchObject({
      firstDay: '2026-02-01',
    });
  });
});
