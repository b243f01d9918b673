import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { DynamoAuditQuery } from '../../../shared/adapters/dynamodb/audit-query.js';
import { chainFor, type AuditEvent, type AuditEventInput } from '../../../shared/domain/audit.js';
import { CSV_COLUMNS } from '../../../shared/adapters/audit-format/audit-format.js';
import { createAuditApiHandler, type AuditApiEvent } from '../../../functions/audit-api/handler.js';
import { digestClosedDays } from '../../support/audit-digests.js';
import { ManualClock } from '../../support/fakes.js';
import { useLocalTables } from '../../support/local-dynamo.js';

const db = useLocalTables();

function input(n: number): AuditEventInput {
  return {
    type: n % 3 === 0 ? 'grant.revoked' : 'request.approved',
    at: new Date(Date.parse('2026-03-01T10:00:00.000Z') + n * 60_000).toISOString(),
    actor: 'ULEAD1',
    subject: n % 2 === 0 ? 'UANA' : 'UBEN',
    targetId: n % 2 === 0 ? 'prod-role' : 'dev-group',
    requestId: `req-${n}`,
    toStatus: n % 3 === 0 ? 'REVOKED' : 'APPROVED',
    reason: `reason ${n}`,
    breakGlass: n === 4,
  };
}

async function seed(count: number) {
  for (let n = 1; n <= count; n++) await db().audit.append(input(n));
}

const logged: { level: string; message: string; fields: unknown }[] = [];
function handler() {
  logged.length = 0;
  return createAuditApiHandler({
    reader: new DynamoAuditQuery(db().doc, db().names.audit),
    clock: new ManualClock('2026-03-02T00:00:00Z'),
    logger: {
      info: (message: string, fields?: unknown) => void logged.push({ level: 'info', message, fields }),
      warn: (message: string, fields?: unknown) => void logged.push({ level: 'warn', message, fields }),
      error: (message: string, fields?: unknown) => void logged.push({ level: 'error', message, fields }),
    } as never,
  });
}

function request(
  path: string,
  query?: Record<string, string | undefined>,
  options: { method?: string; iam?: boolean } = {},
): AuditApiEvent {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: new URLSearchParams(query as Record<string, string>).toString(),
    headers: {},
    ...(query ? { queryStringParameters: query } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: '111122223333',
      apiId: 'url',
      domainName: 'x.lambda-url.us-east-1.on.aws',
      domainPrefix: 'x',
      http: {
        method: options.method ?? 'GET',
        path,
        protocol: 'HTTP/1.1',
        sourceIp: '10.0.0.1',
        userAgent: 'test',
      },
      requestId: 'r1',
      routeKey: '$default',
      stage: '$default',
      time: '',
      timeEpoch: 0,
      ...(options.iam === false
        ? {}
        : {
            authorizer: {
              iam: {
                accessKey: 'local',
                accountId: '111122223333',
                callerId: 'AROA',
                cognitoIdentity: null,
                principalOrgId: null,
                userArn: 'arn:aws:sts::111122223333:assumed-role/Auditor/alice',
                userId: 'AROA:alice',
              },
            },
          }),
    },
  } as unknown as AuditApiEvent;
}

const context = {} as Context;

describe('audit API (function URL, AWS_IAM)', () => {
  it('pages JSON by person, newest first, and follows the cursor', async () => {
    await seed(8);
    const h = handler();
    const first = await h(request('/events', { person: 'UANA', limit: '3' }), context);
    expect(first.statusCode).toBe(200);
    const body1 = JSON.parse(first.body as string) as { items: AuditEvent[]; cursor?: string };
    expect(body1.items.map((e) => e.requestId)).toEqual(['req-8', 'req-6', 'req-4']);
    const second = await h(
      request('/events', { person: 'UANA', limit: '3', cursor: body1.cursor as string }),
      context,
    );
    const body2 = JSON.parse(second.body as string) as { items: AuditEvent[]; cursor?: string };
    expect(body2).toEqual({ items: [expect.objectContaining({ requestId: 'req-2' })] });
    expect(logged[0]).toMatchObject({
      message: 'audit api request',
      fields: { caller: 'arn:aws:sts::111122223333:assumed-role/Auditor/alice', path: '/events' },
    });
  });

  it.each([
    { description: 'status', query: { status: 'REVOKED' }, expected: ['req-6', 'req-3'] },
    { description: 'break-glass', query: { breakGlass: 'true' }, expected: ['req-4'] },
    {
      description: 'target and time range',
      query: { target: 'dev-group', from: '2026-03-01T10:02:00Z', to: '2026-03-01T10:06:00Z' },
      expected: ['req-5', 'req-3'],
    },
  ])('filters by $description', async ({ query, expected }) => {
    await seed(6);
    const res = await handler()(request('/events', query), context);
    expect((JSON.parse(res.body as string) as { items: AuditEvent[] }).items.map((e) => e.requestId)).toEqual(
      expected,
    );
  });

  it('answers CSV with the next cursor in a header', async () => {
    await seed(4);
    const res = await handler()(
      request('/events', { target: 'prod-role', limit: '1', format: 'csv' }),
      context,
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['Content-Type']).toBe('text/csv; charset=utf-8');
    expect(res.headers?.['X-Next-Cursor']).toEqual(expect.any(String));
    const lines = (res.body as string).trimEnd().split('\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines.slice(1).map((l) => l.split(',')[6])).toEqual(['req-4']);
  });

  it.each([
    {
      description: 'an unknown filter',
      query: { user: 'U1' },
      status: 400,
      message: 'unknown filter "user"',
    },
    {
      description: 'a bad date',
      query: { person: 'U1', from: 'last week' },
      status: 400,
      message: 'from: must be an ISO-8601',
    },
    {
      description: 'a limit too large',
      query: { person: 'U1', limit: '100000' },
      status: 400,
      message: 'limit: must be at most',
    },
    {
      description: 'a bad format',
      query: { person: 'U1', format: 'xml' },
      status: 400,
      message: 'format must be json or csv',
    },
    {
      description: 'a forged cursor',
      query: { person: 'U1', cursor: 'eyJ2IjoxfQ' },
      status: 400,
      message: 'cursor is not valid',
    },
  ])('answers 400 to $description, with the reason and no stack', async ({ query, status, message }) => {
    const res = await handler()(request('/events', query), context);
    expect(res.statusCode).toBe(status);
    const body = JSON.parse(res.body as string) as { error: string; message: string };
    expect(body.error).toBe('VALIDATION_FAILED');
    expect(body.message).toContain(message);
    expect(res.body).not.toMatch(/\bat .*\.ts:\d+/);
    // A caller's mistake is a warning with its code, never an error with a stack trace.
    expect(logged.filter((l) => l.level === 'error')).toEqual([]);
    expect(logged.at(-1)).toEqual({
      level: 'warn',
      message: 'audit api request refused',
      fields: { statusCode: 400, code: 'VALIDATION_FAILED', message: expect.stringContaining(message) },
    });
    expect(JSON.stringify(logged)).not.toMatch(/\bat .*\.[tj]s:\d+/);
  });

  it('answers 404, 405 and 403 (unsigned) without reading anything, logged as warnings', async () => {
    const h = handler();
    expect((await h(request('/nope'), context)).statusCode).toBe(404);
    expect((await h(request('/events', undefined, { method: 'DELETE' }), context)).statusCode).toBe(405);
    const unsigned = await h(request('/events', { person: 'U1' }, { iam: false }), context);
    expect(unsigned.statusCode).toBe(403);
    expect(
      logged.filter((l) => l.level !== 'info').map((l) => [l.level, (l.fields as { code: string }).code]),
    ).toEqual([
      ['warn', 'NOT_FOUND'],
      ['warn', 'METHOD_NOT_ALLOWED'],
      ['warn', 'NOT_AUTHORIZED'],
    ]);
  });

  it('hides internal errors behind a bare 500, logged as an error with the error', async () => {
    const errors: unknown[] = [];
    const h = createAuditApiHandler({
      reader: new DynamoAuditQuery(db().doc, 'no-such-table'),
      clock: new ManualClock(),
      logger: {
        info: () => undefined,
        warn: () => undefined,
        error: (message: string, fields: { error: unknown }) => void errors.push([message, fields.error]),
      } as never,
    });
    const res = await h(request('/events', { person: 'U1' }), context);
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body as string)).toEqual({ error: 'INTERNAL', message: 'Internal error.' });
    expect(errors).toEqual([['audit api request failed', expect.any(Error)]]);
  });

  it('verifies the trail and names the first break', async () => {
    await seed(3);
    const h = handler();
    expect(JSON.parse((await h(request('/verify'), context)).body as string)).toMatchObject({ ok: true });
    const chain = chainFor('req-2', 8);
    await db().doc.send(
      new UpdateCommand({
        TableName: db().names.audit,
        Key: { chain, seq: 1 },
        UpdateExpression: 'SET actor = :a',
        ExpressionAttributeValues: { ':a': 'UMALLORY' },
      }),
    );
    const res = await h(request('/verify'), context);
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body as string)).toMatchObject({
      ok: false,
      breaks: [{ chain, seq: 1, kind: 'hash-mismatch' }],
    });
  });

  it('verifies the digests too when it has them, and fails on a digest that differs from the trail', async () => {
    await seed(3);
    const digests = await digestClosedDays(db(), '2026-03-02T02:00:00Z', '2026-03-01');
    const h = createAuditApiHandler({
      reader: new DynamoAuditQuery(db().doc, db().names.audit, undefined, undefined, undefined, digests),
      digests,
      clock: new ManualClock('2026-03-02T02:00:00Z'),
      logger: { info: () => {}, warn: () => {}, error: () => {} } as never,
    });
    const verify = async () => JSON.parse((await h(request('/verify'), context)).body as string) as unknown;
    expect(await verify()).toMatchObject({
      ok: true,
      digests: { span: { since: '2026-03-01', through: '2026-03-01' }, verified: 2, findings: [] },
    });
    // req-1 and req-3 are dev-group's: a digest of that day without req-3 hides it from the target's answers.
    for await (const digest of digests.readTarget('dev-group', '2026-03-01', '2026-03-01'))
      await digests.writeDay('2026-03-01', [{ ...digest, events: digest.events.slice(1) }]);
    expect(await verify()).toMatchObject({
      ok: false,
      breaks: [],
      digests: {
        findings: [expect.stringContaining('2026-03-01 dev-group: the digest differs from the trail')],
      },
    });
  });
});
