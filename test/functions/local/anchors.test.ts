import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalAnchoring } from '../../../functions/local/anchors.js';
import { FolderAnchorStore } from '../../../shared/adapters/anchors/folder-anchor-store.js';
import { DynamoAuditDigests } from '../../../shared/adapters/dynamodb/audit-digests.js';
import { DynamoAuditQuery } from '../../../shared/adapters/dynamodb/audit-query.js';
import { anchorSignatureValid } from '../../../shared/domain/anchors.js';
import { ManualClock } from '../../support/fakes.js';
import { useLocalTables } from '../../support/local-dynamo.js';

describe('local anchoring (npm start)', () => {
  it('writes signed anchors to <LOCAL_DATA_DIR>/anchors with a key kept across restarts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'jit-local-data-'));
    let seq = 1;
    const clock = new ManualClock('2026-03-01T10:00:00Z');
    const deps = {
      chains: {
        chains: ['chain-00'],
        readChainEnds: async () => ({ head: { seq, hash: String(seq).repeat(64) } }),
      },
      clock,
      table: 'jit-local-audit',
      logger: { info: () => {}, warn: () => {}, error: () => {} },
      metrics: { count: () => {} },
    };
    const first = createLocalAnchoring(dataDir, deps);
    expect(first.dir).toBe(join(dataDir, 'anchors'));
    expect(await first.anchorNow()).toMatchObject({ status: 'anchored' });

    // A restart finds the same key and the previous anchor.
    const second = createLocalAnchoring(dataDir, deps);
    expect(readFileSync(second.publicKeyFile, 'utf8')).toBe(readFileSync(first.publicKeyFile, 'utf8'));
    expect(await second.anchorNow()).toMatchObject({ status: 'unchanged' });
    seq = 2;
    clock.advance(60);
    expect(await second.anchorNow()).toMatchObject({ status: 'anchored' });

    const key = createPublicKey(readFileSync(first.publicKeyFile, 'utf8'));
    const stored = [];
    for await (const s of new FolderAnchorStore(first.dir).list()) stored.push(s);
    expect(stored).toHaveLength(2);
    expect(stored.every((s) => s.anchor && anchorSignatureValid(s.anchor, key))).toBe(true);
    expect(stored[0]?.location).toContain(join('anchors', 'anchors', '2026', '03', '01'));
  });
});

describe('local anchoring with digests (npm start, DynamoDB Local)', () => {
  const db = useLocalTables();

  it('each run anchors, then digests the audit days closed since the last run', async () => {
    await db().audit.append({
      type: 'request.approved',
      at: '2026-03-01T09:00:00.000Z',
      actor: 'ULEAD1',
      subject: 'UANA',
      targetId: 'prod-role',
      requestId: 'req-1',
      toStatus: 'APPROVED',
      breakGlass: false,
    });
    const clock = new ManualClock('2026-03-01T12:00:00Z');
    const quiet = { info: () => {}, warn: () => {}, error: () => {} };
    const trail = new DynamoAuditQuery(db().doc, db().names.audit, undefined, () => {});
    const digests = new DynamoAuditDigests(db().doc, db().names.auditDigests as string);
    const anchoring = createLocalAnchoring(
      mkdtempSync(join(tmpdir(), 'jit-local-data-')),
      { chains: trail, clock, table: db().names.audit, logger: quiet, metrics: { count: () => {} } },
      { trail, digests, clock, logger: quiet, metrics: { count: () => {} }, firstDay: '2026-03-01' },
    );
    // The day is still open: anchored, nothing digested yet.
    expect(await anchoring.anchorNow()).toMatchObject({
      status: 'anchored',
      digest: { status: 'digested', days: [] },
    });
    clock.set('2026-03-02T01:00:00Z');
    expect(await anchoring.anchorNow()).toMatchObject({
      status: 'unchanged',
      digest: { status: 'digested', days: ['2026-03-01'] },
    });
    expect(await digests.span()).toEqual({ since: '2026-03-01', through: '2026-03-01' });
  });
});
