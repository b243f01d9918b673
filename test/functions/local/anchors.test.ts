import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalAnchoring } from '../../../functions/local/anchors.js';
import { FolderAnchorStore } from '../../../shared/adapters/anchors/folder-anchor-store.js';
import { anchorSignatureValid } from '../../../shared/domain/anchors.js';
import { ManualClock } from '../../support/fakes.js';

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
