import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAnchorDeps, createAnchorHandler } from '../../../functions/audit-anchor/handler.js';
import { FolderAnchorStore } from '../../../shared/adapters/anchors/folder-anchor-store.js';
import { LocalDigestSigner } from '../../../shared/adapters/anchors/local-digest-signer.js';
import { GENESIS_HASH } from '../../../shared/domain/audit.js';
import type { AnchorAuditDeps } from '../../../shared/usecases/anchor-audit.js';
import { ManualClock } from '../../support/fakes.js';

function deps(seq: number) {
  const errors: string[] = [];
  const counted: string[] = [];
  const d: AnchorAuditDeps = {
    chains: {
      chains: ['chain-00'],
      readChainEnds: async () => ({ head: { seq, hash: seq === 0 ? GENESIS_HASH : 'a'.repeat(64) } }),
    },
    signer: LocalDigestSigner.ephemeral(),
    store: new FolderAnchorStore(mkdtempSync(join(tmpdir(), 'jit-anchor-fn-'))),
    clock: new ManualClock('2026-03-01T10:00:00Z'),
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
