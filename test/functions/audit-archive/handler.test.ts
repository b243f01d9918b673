import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createArchiveHandler } from '../../../functions/audit-archive/handler.js';
import { EXIT, main } from '../../../functions/cli/audit.js';
import { FolderArchiveStore } from '../../../shared/adapters/archive/folder-archive-store.js';
import { auditEventToItem } from '../../../shared/adapters/dynamodb/audit-log.js';
import { DynamoAuditQuery } from '../../../shared/adapters/dynamodb/audit-query.js';
import type { ArchiveStore } from '../../../shared/domain/archive.js';
import { hashEvent, type AuditEvent, type AuditEventInput } from '../../../shared/domain/audit.js';
import { ManualClock } from '../../support/fakes.js';
import { useLocalTables } from '../../support/local-dynamo.js';

const db = useLocalTables();

function input(n: number): AuditEventInput {
  return {
    type: 'request.submitted',
    // Three days: 2026-03-01 … 03.
    at: new Date(Date.parse('2026-03-01T10:00:00.000Z') + (n % 3) * 86_400_000 + n * 1000).toISOString(),
    actor: 'UDEV1',
    subject: 'UDEV1',
    targetId: 'prod-role',
    requestId: `req-${n}`,
    toStatus: 'PENDING',
    breakGlass: false,
  };
}

/** A DynamoDB JSON value, as a stream image carries it. */
function attr(value: unknown): AttributeValue {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(attr) };
  if (value && typeof value === 'object') {
    return { M: Object.fromEntries(Object.entries(value).map(([k, v]) => [k, attr(v)])) };
  }
  return { NULL: true };
}

function insert(item: Record<string, unknown>, sequence: number): DynamoDBRecord {
  return {
    eventName: 'INSERT',
    dynamodb: {
      SequenceNumber: String(sequence).padStart(21, '0'),
      NewImage: Object.fromEntries(Object.entries(item).map(([k, v]) => [k, attr(v)])),
    },
  };
}

/** A store that fails the first put of some keys (an S3 outage mid-batch). */
function flaky(store: ArchiveStore, failOnce: (key: string) => boolean): ArchiveStore & { puts: number } {
  const failed = new Set<string>();
  const wrapper = {
    puts: 0,
    async put(key: string, body: string) {
      wrapper.puts++;
      if (failOnce(key) && !failed.has(key)) {
        failed.add(key);
        throw new Error('SlowDown');
      }
      await store.put(key, body);
    },
    keys: (prefix: string) => store.keys(prefix),
  };
  return wrapper;
}

function archivedEvents(dir: string): AuditEvent[] {
  const files = readdirSync(join(dir, 'events'), { recursive: true }).filter((f) =>
    String(f).endsWith('.jsonl'),
  );
  return files.flatMap((f) =>
    readFileSync(join(dir, 'events', String(f)), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as AuditEvent),
  );
}

async function cli(argv: string[], dir: string) {
  const stdout = new PassThrough();
  const out: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stdout.on('error', () => undefined);
  const code = await main(
    argv,
    { stdout, stderr: stdout, env: {} },
    {
      reader: new DynamoAuditQuery(db().doc, db().names.audit),
      clock: new ManualClock('2026-03-03T23:00:00Z'),
      openArchive: () => new FolderArchiveStore(dir),
    },
  );
  return { code, text: Buffer.concat(out).toString() };
}

describe('audit archive (DynamoDB stream → JSON lines by day)', () => {
  it('holds every event exactly once after duplicated records and retried batches', async () => {
    const events: AuditEvent[] = [];
    for (let n = 1; n <= 12; n++) events.push(await db().audit.append(input(n)));
    // What the stream delivers: every event, a chain head update and a policy item in between.
    const head = await db().doc.send(
      new GetCommand({ TableName: db().names.audit, Key: { chain: events[0]!.chain, seq: 0 } }),
    );
    const records = events.map((e, i) => insert(auditEventToItem(e), i + 1));
    records.splice(3, 0, insert(head.Item as Record<string, unknown>, 100));
    const dir = mkdtempSync(join(tmpdir(), 'archive-'));
    const store = flaky(new FolderArchiveStore(dir), (key) => key.endsWith('-000000000002.jsonl'));
    const handle = createArchiveHandler({ store, concurrency: 2 });

    const first = await handle({ Records: [...records, records[0]!, records[5]!] });
    expect(first.batchItemFailures.length).toBeGreaterThan(0);
    // Lambda retries from the first failed record on; the retry also repeats records already archived.
    const firstFailed = first.batchItemFailures[0]!.itemIdentifier;
    const retry = records.filter((r) => r.dynamodb!.SequenceNumber! >= firstFailed);
    expect(await handle({ Records: [...retry, ...retry.slice(0, 2)] })).toEqual({ batchItemFailures: [] });
    // A whole batch delivered again (at-least-once) changes nothing.
    expect(await handle({ Records: records })).toEqual({ batchItemFailures: [] });

    const archived = archivedEvents(dir);
    expect(archived).toHaveLength(events.length);
    expect(new Set(archived.map((e) => `${e.chain}#${e.seq}`)).size).toBe(events.length);
    expect(archived.map((e) => e.hash).sort()).toEqual(events.map((e) => e.hash).sort());
    // Each line is the event as hashed: an auditor recomputes its hash from the archive alone.
    for (const { hash, ...rest } of archived) expect(hashEvent(rest)).toBe(hash);
    expect(readdirSync(join(dir, 'events')).sort()).toEqual([
      'dt=2026-03-01',
      'dt=2026-03-02',
      'dt=2026-03-03',
    ]);

    expect(await cli(['verify', '--archive', dir], dir)).toMatchObject({ code: EXIT.ok });
  });

  it('reports a missing day in verify, and replay fills it without duplicating', async () => {
    const events: AuditEvent[] = [];
    for (let n = 1; n <= 9; n++) events.push(await db().audit.append(input(n)));
    const dir = mkdtempSync(join(tmpdir(), 'archive-'));
    await createArchiveHandler({ store: new FolderArchiveStore(dir) })({
      Records: events.map((e, i) => insert(auditEventToItem(e), i + 1)),
    });
    rmSync(join(dir, 'events', 'dt=2026-03-02'), { recursive: true });

    const gap = await cli(['verify', '--archive', dir], dir);
    expect(gap.text).toContain(
      'GAP  2026-03-02: the table holds 3 events, the archive none (the day is missing)',
    );
    expect(gap.text).toContain('FAILED: 1 of 3 days differ');
    expect(gap.code).toBe(EXIT.verifyFailed);

    const replay = await cli(
      ['archive', 'replay', '--archive', dir, '--from', '2026-03-01', '--to', '2026-03-04'],
      dir,
    );
    expect(replay.text).toContain('Replayed 9 events');
    expect(archivedEvents(dir)).toHaveLength(9);
    expect(await cli(['verify', '--archive', dir], dir)).toMatchObject({ code: EXIT.ok });
  });
});
