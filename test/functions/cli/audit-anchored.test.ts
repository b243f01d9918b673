import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { EXIT, main, type CliDeps } from '../../../functions/cli/audit.js';
import { FolderAnchorStore } from '../../../shared/adapters/anchors/folder-anchor-store.js';
import {
  LocalDigestSigner,
  LOCAL_PUBLIC_KEY_FILE,
} from '../../../shared/adapters/anchors/local-digest-signer.js';
import { DynamoAuditQuery } from '../../../shared/adapters/dynamodb/audit-query.js';
import { anchorAuditHeads } from '../../../shared/usecases/anchor-audit.js';
import { ManualClock } from '../../support/fakes.js';
import { useLocalTables } from '../../support/local-dynamo.js';

const db = useLocalTables();
const silent = { info: () => {}, warn: () => {}, error: () => {} };

/** Three events, anchored into a fresh folder with a key kept beside it. */
async function anchoredTrail() {
  const dir = mkdtempSync(join(tmpdir(), 'jit-cli-anchors-'));
  const signer = LocalDigestSigner.inFolder(dir);
  for (let n = 1; n <= 3; n++) {
    await db().audit.append({
      type: 'request.submitted',
      at: `2026-03-01T10:0${n}:00.000Z`,
      actor: 'UDEV1',
      subject: 'UDEV1',
      targetId: 'prod-role',
      requestId: `req-${n}`,
      breakGlass: false,
    });
  }
  const reader = new DynamoAuditQuery(db().doc, db().names.audit, undefined, () => {});
  const clock = new ManualClock('2026-03-01T10:05:00Z');
  const anchors = join(dir, 'store');
  await anchorAuditHeads({
    chains: reader,
    signer,
    store: new FolderAnchorStore(anchors),
    clock,
    table: db().names.audit,
    logger: silent,
    metrics: { count: () => {} },
  });
  const deps: CliDeps = { reader, clock, table: db().names.audit };
  return { deps, anchors, publicKey: join(dir, LOCAL_PUBLIC_KEY_FILE), dir };
}

async function run(argv: string[], deps: CliDeps) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const code = await main(argv, { stdout, stderr, env: {} }, deps);
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

describe('jit-audit verify --anchored', () => {
  it('checks the trail against the anchors with an exported public key (offline)', async () => {
    const t = await anchoredTrail();
    const ok = await run(
      ['verify', '--anchored', '--anchors', t.anchors, '--public-key', t.publicKey],
      t.deps,
    );
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(EXIT.ok);
    expect(ok.stdout).toContain('OK: every chain extends 1 signed anchors');
  });

  it('exits 1 naming the anchor when the key is not the one that signed', async () => {
    const t = await anchoredTrail();
    const other = join(t.dir, 'other.pem');
    writeFileSync(other, LocalDigestSigner.ephemeral().publicKeyPem());
    const bad = await run(['verify', '--anchored', '--anchors', t.anchors, '--public-key', other], t.deps);
    expect(bad.code).toBe(EXIT.verifyFailed);
    expect(bad.stdout).toMatch(/ANCHOR .*\.json: the signature does not verify/);
  });

  it('exits 1 with chain and seq when the table no longer holds an anchored event (plain verify: 0)', async () => {
    const t = await anchoredTrail();
    // Make the newest event of one chain unreadable as anchored: a consistent rewrite in one item
    // (a single-event chain: new content, new hash, head and manifest moved to it).
    const reader = t.deps.reader;
    const chain = (
      await Promise.all(reader.chains.map(async (c) => ({ c, e: await reader.readChainEnds(c) })))
    ).find((x) => x.e.head.seq === 1)!.c;
    const { sealEvent, GENESIS_HASH } = await import('../../../shared/domain/audit.js');
    const { auditEventToItem, manifestKeyOf } =
      await import('../../../shared/adapters/dynamodb/audit-log.js');
    let original;
    for await (const e of reader.readChain(chain)) original = e;
    const { chain: _c, seq: _s, prevHash: _p, hash: _h, ...content } = original!;
    const forged = sealEvent({ ...content, actor: 'UMALLORY' }, chain, { seq: 0, hash: GENESIS_HASH });
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    await db().doc.send(new PutCommand({ TableName: db().names.audit, Item: auditEventToItem(forged) }));
    for (const [Key, set] of [
      [{ chain, seq: 0 }, 'SET headSeq = :seq, headHash = :hash'],
      [manifestKeyOf(chain), 'SET lastSeq = :seq, lastHash = :hash'],
    ] as const) {
      await db().doc.send(
        new UpdateCommand({
          TableName: db().names.audit,
          Key,
          UpdateExpression: set,
          ExpressionAttributeValues: { ':seq': 1, ':hash': forged.hash },
        }),
      );
    }
    expect((await run(['verify'], t.deps)).code).toBe(EXIT.ok);
    const caught = await run(
      ['verify', '--anchored', '--anchors', t.anchors, '--public-key', t.publicKey],
      t.deps,
    );
    expect(caught.code).toBe(EXIT.verifyFailed);
    expect(caught.stdout).toContain(`ANCHOR  ${chain} #1: the table holds another hash`);
  });

  it.each([
    { argv: ['verify', '--anchored', '--public-key', 'k.pem'], message: '--anchored needs --anchors' },
    { argv: ['verify', '--anchored', '--anchors', 'x'], message: 'needs --public-key FILE or --kms-key' },
    { argv: ['verify', '--anchors', 'x'], message: '--anchors goes with --anchored' },
  ])('refuses $argv with exit 2: $message', async ({ argv, message }) => {
    const t = { reader: new DynamoAuditQuery(db().doc, db().names.audit), clock: new ManualClock() };
    const out = await run(argv, t);
    expect(out.code).toBe(EXIT.badInput);
    expect(out.stderr).toContain(message);
  });
});
