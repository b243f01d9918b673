import { execFile } from 'node:child_process';
import { PassThrough, Writable } from 'node:stream';
import { promisify } from 'node:util';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { DynamoAuditQuery } from '../../../shared/adapters/dynamodb/audit-query.js';
import {
  chainFor,
  GENESIS_HASH,
  sealEvent,
  type AuditEvent,
  type AuditEventInput,
} from '../../../shared/domain/audit.js';
import type { AuditChainReader, AuditReader } from '../../../shared/domain/audit-query.js';
import { CSV_COLUMNS } from '../../../shared/adapters/audit-format/audit-format.js';
import { EXIT, main, type CliDeps } from '../../../functions/cli/audit.js';
import { digestClosedDays } from '../../support/audit-digests.js';
import { ManualClock } from '../../support/fakes.js';
import { useLocalTables } from '../../support/local-dynamo.js';

const db = useLocalTables();

function event(n: number, overrides: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    type: 'request.approved',
    at: new Date(Date.parse('2026-03-01T10:00:00.000Z') + n * 60_000).toISOString(),
    actor: 'ULEAD1',
    subject: n % 2 === 0 ? 'UANA' : 'UBEN',
    targetId: 'prod-role',
    requestId: `req-${n}`,
    fromStatus: 'PENDING',
    toStatus: 'APPROVED',
    reason: `deploy ${n}`,
    ticket: `INC-${n}`,
    approvers: ['ULEAD1', 'ULEAD2'],
    breakGlass: false,
    ...overrides,
  };
}

async function seed(count: number, extra: AuditEventInput[] = []): Promise<void> {
  for (let n = 1; n <= count; n++) await db().audit.append(event(n));
  for (const e of extra) await db().audit.append(e);
}

function deps(): CliDeps {
  return {
    reader: new DynamoAuditQuery(db().doc, db().names.audit),
    clock: new ManualClock('2026-03-02T00:00:00Z'),
  };
}

async function run(argv: string[], cliDeps: CliDeps = deps()) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const code = await main(argv, { stdout, stderr, env: {} }, cliDeps);
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

describe('jit-audit query', () => {
  it('writes one person’s events as JSON lines, newest first', async () => {
    await seed(6);
    const { code, stdout, stderr } = await run(['query', '--person', 'UANA', '--format', 'jsonl']);
    expect(stderr).toBe('');
    expect(code).toBe(EXIT.ok);
    const events = stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEvent);
    expect(events.map((e) => e.requestId)).toEqual(['req-6', 'req-4', 'req-2']);
    expect(events[0]).toMatchObject({ subject: 'UANA', approvers: ['ULEAD1', 'ULEAD2'], ticket: 'INC-6' });
  });

  it('writes CSV with a header, every column, and formulas defused', async () => {
    await seed(2, [event(3, { reason: '=HYPERLINK("http://evil")', subject: 'UANA' })]);
    const { code, stdout } = await run(['query', '--target', 'prod-role', '--format', 'csv']);
    expect(code).toBe(EXIT.ok);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(lines[2]).toContain(
      '2026-03-01T10:02:00.000Z,request.approved,ULEAD1,UANA,,prod-role,req-2,PENDING,APPROVED,deploy 2,INC-2,ULEAD1;ULEAD2,false',
    );
  });

  it('writes a table, honours --limit, and a time range', async () => {
    await seed(5);
    const { code, stdout } = await run([
      'query',
      '--from',
      '2026-03-01T10:02:00Z',
      '--to',
      '2026-03-01T10:05:00Z',
      '--limit',
      '2',
    ]);
    expect(code).toBe(EXIT.ok);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^AT\s+TYPE\s+ACTOR/);
    expect(lines.slice(1).map((l) => l.slice(0, 24))).toEqual([
      '2026-03-01T10:04:00.000Z',
      '2026-03-01T10:03:00.000Z',
    ]);
  });

  it.each([
    {
      description: 'a bad date',
      argv: ['query', '--person', 'U1', '--from', 'yesterday'],
      message: 'from: must be an ISO-8601',
    },
    { description: 'no filter and no start', argv: ['query'], message: 'from: is required' },
    { description: 'an unknown option', argv: ['query', '--user', 'U1'], message: "Unknown option '--user'" },
    {
      description: 'an unknown format',
      argv: ['query', '--person', 'U1', '--format', 'xml'],
      message: '--format must be one of',
    },
    { description: 'a bad limit', argv: ['query', '--person', 'U1', '--limit', '-3'], message: '--limit' },
    {
      description: 'an unknown status',
      argv: ['query', '--status', 'GONE'],
      message: 'status: must be one of',
    },
    { description: 'an unknown command', argv: ['delete'], message: 'unknown command "delete"' },
  ])('refuses $description with exit 2 and a clear message', async ({ argv, message }) => {
    const { code, stdout, stderr } = await run(argv);
    expect(code).toBe(EXIT.badInput);
    expect(stderr).toContain(message);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(stdout).toBe('');
  });

  it('streams with backpressure: a stalled reader of stdout stops the reads', async () => {
    let produced = 0;
    const reader: AuditReader & AuditChainReader = {
      chains: [],
      query: async () => ({ items: [] }),
      async *stream() {
        let head = { seq: 0, hash: GENESIS_HASH };
        for (let n = 0; n < 100_000; n++) {
          const e = sealEvent(event(n), chainFor('x', 8), head);
          head = e;
          produced++;
          yield e;
        }
      },
      readChainEnds: async () => ({ head: { seq: 0, hash: GENESIS_HASH } }),
      readChain: async function* () {},
      readDay: async function* () {},
    };
    let release: (() => void) | undefined;
    const stalled = new Writable({
      highWaterMark: 1024,
      write(_chunk, _encoding, callback) {
        release = callback; // never acknowledged until the test says so
      },
    });
    const running = main(
      ['query', '--person', 'UANA', '--format', 'jsonl'],
      { stdout: stalled, stderr: new PassThrough(), env: {} },
      {
        reader,
        clock: new ManualClock(),
      },
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(produced).toBeGreaterThan(0);
    expect(produced).toBeLessThan(1000); // bounded read-ahead, not the 100,000 available
    stalled.destroy();
    release?.();
    await running;
  });
});

describe('jit-audit verify', () => {
  it('reports a sound trail (exit 0) and a tampered one with chain and seq (exit 1)', async () => {
    await seed(4);
    const ok = await run(['verify']);
    expect(ok.code).toBe(EXIT.ok);
    expect(ok.stdout).toContain('OK: 4 events in 8 chains verified.');

    const chain = chainFor('req-3', 8);
    await db().doc.send(
      new UpdateCommand({
        TableName: db().names.audit,
        Key: { chain, seq: 1 },
        UpdateExpression: 'SET reason = :r',
        ExpressionAttributeValues: { ':r': 'edited' },
      }),
    );
    const broken = await run(['verify', '--format', 'json']);
    expect(broken.code).toBe(EXIT.verifyFailed);
    expect(JSON.parse(broken.stdout)).toMatchObject({
      ok: false,
      breaks: [{ chain, seq: 1, kind: 'hash-mismatch' }],
    });
    const text = await run(['verify']);
    expect(text.stdout).toContain(`${chain}  BROKEN at #1 (hash-mismatch)`);
    expect(text.stdout).toContain('FAILED: 1 of 8 chains broken.');
  });
});

describe('bin/jit-audit.js (child process, wired from the environment)', () => {
  it('queries DynamoDB Local through AWS_ENDPOINT_URL_DYNAMODB and AUDIT_TABLE_NAME', async () => {
    await seed(3);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['bin/jit-audit.js', 'query', '--request', 'req-2', '--format', 'jsonl'],
      {
        env: {
          PATH: process.env.PATH,
          AUDIT_TABLE_NAME: db().names.audit,
          AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
        },
      },
    );
    expect(
      stdout
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as AuditEvent).requestId),
    ).toEqual(['req-2']);
  });

  it('reads and verifies through the digests named by AUDIT_DIGESTS_TABLE_NAME', async () => {
    await seed(2);
    const digests = await digestClosedDays(db(), '2026-03-02T02:00:00Z', '2026-03-01');
    const cli = (args: string[], withDigests: boolean) =>
      promisify(execFile)(process.execPath, ['bin/jit-audit.js', ...args], {
        env: {
          PATH: process.env.PATH,
          AUDIT_TABLE_NAME: db().names.audit,
          ...(withDigests ? { AUDIT_DIGESTS_TABLE_NAME: db().names.auditDigests } : {}),
          AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
        },
      });
    const sound = await cli(['verify'], true);
    expect(sound.stdout).toContain('digests  ok  1 target-days match the trail, 2026-03-01 to 2026-03-01');

    // A digest rewritten to drop an event: the target's answer read through the digests misses
    // it, the index does not, and verify names the digest.
    for await (const digest of digests.readTarget('prod-role', '2026-03-01', '2026-03-01'))
      await digests.writeDay('2026-03-01', [{ ...digest, events: digest.events.slice(1) }]);
    const requestIds = (stdout: string) =>
      stdout
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as AuditEvent).requestId);
    const query = ['query', '--target', 'prod-role', '--format', 'jsonl'];
    expect(requestIds((await cli(query, true)).stdout)).toEqual(['req-1']);
    expect(requestIds((await cli(query, false)).stdout)).toEqual(['req-2', 'req-1']);
    await expect(cli(['verify'], true)).rejects.toMatchObject({
      code: EXIT.verifyFailed,
      stdout: expect.stringContaining('DIGEST  2026-03-01 prod-role: the digest differs from the trail'),
    });
    // Four child processes, each loading the CLI: seconds each on a loaded machine.
  }, 120_000);

  it('exits 3 (configuration) without the audit table name', async () => {
    const child = promisify(execFile)(process.execPath, ['bin/jit-audit.js', 'verify'], {
      env: { PATH: process.env.PATH },
    });
    await expect(child).rejects.toMatchObject({
      code: 3,
      stderr: expect.stringContaining('AUDIT_TABLE_NAME'),
    });
  });
});
