import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createConsoleApiHandler } from '../../../functions/console-api/handler.js';
import { fakeWorld } from '../../support/fakes.js';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.secret-token-value.signature';

function event(
  method: string,
  path: string,
  claims: Record<string, string>,
  body?: unknown,
): APIGatewayProxyEventV2WithJWTAuthorizer {
  return {
    rawPath: path,
    headers: { authorization: `Bearer ${TOKEN}` },
    isBase64Encoded: false,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    requestContext: { http: { method }, authorizer: { jwt: { claims, scopes: [] } } },
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
}

function setUp() {
  const world = fakeWorld();
  const logs: string[] = [];
  const handler = createConsoleApiHandler({
    api: { request: world.deps, reader: {} as never },
    emailClaim: 'email',
    groupsClaim: 'groups',
    origin: 'https://console.example.com',
    logger: {
      warn: (m, f) => logs.push(JSON.stringify({ m, f })),
      error: (m, f) => logs.push(JSON.stringify({ m, f })),
    },
  });
  return { world, handler, logs };
}

describe('the console API behind the JWT authorizer', () => {
  it('refuses a token without an email claim with a 403, and never logs the token', async () => {
    const { handler, logs } = setUp();
    const answer = await handler(event('GET', '/console/api/me', { sub: 'abc' }));
    expect(answer.statusCode).toBe(403);
    expect(JSON.parse(answer.body ?? '{}')).toMatchObject({ error: 'NOT_AUTHORIZED' });
    expect(logs.join('\n')).not.toContain(TOKEN);
  });

  it('maps the email claim to an oidc person the policy decides about', async () => {
    const { handler } = setUp();
    const answer = await handler(event('GET', '/console/api/me', { email: 'Alice@Example.com' }));
    expect(answer.statusCode).toBe(200);
    expect(answer.headers?.['Access-Control-Allow-Origin']).toBe('https://console.example.com');
    expect(JSON.parse(answer.body ?? '{}')).toMatchObject({
      person: 'oidc:alice@example.com',
      roles: { requester: true, auditor: false },
    });
  });

  it('answers a bad duration with the Slack modal’s words, next to the duration field', async () => {
    const { handler, world } = setUp();
    const answer = await handler(
      event(
        'POST',
        '/console/api/requests',
        { email: 'alice@example.com' },
        { targetId: 'sandbox', duration: 'soon' },
      ),
    );
    expect(answer.statusCode).toBe(422);
    expect(JSON.parse(answer.body ?? '{}')).toEqual({
      outcome: 'refused',
      field: 'duration',
      message: '"soon" is not a duration (try 30m, 1h or 1h30m).',
    });
    expect(world.queue.jobs).toHaveLength(0);
  });

  it('submits through the submit use case (auto-approved target)', async () => {
    const { handler } = setUp();
    const answer = await handler(
      event(
        'POST',
        '/console/api/requests',
        { email: 'alice@example.com' },
        { targetId: 'sandbox', duration: '30m' },
      ),
    );
    expect(answer.statusCode).toBe(201);
    expect(JSON.parse(answer.body ?? '{}')).toMatchObject({
      outcome: 'approved',
      request: { requester: 'oidc:alice@example.com', targetId: 'sandbox', durationSeconds: 1800 },
    });
  });

  it('a double click or retry with the same idempotency key makes one request, scoped to the caller', async () => {
    const { handler, world } = setUp();
    const form = { targetId: 'sandbox', duration: '30m', idempotencyKey: 'k3y0000000000000000001' };
    const first = await handler(event('POST', '/console/api/requests', { email: 'alice@example.com' }, form));
    const again = await handler(event('POST', '/console/api/requests', { email: 'alice@example.com' }, form));
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    const id = (answer: typeof first) =>
      (JSON.parse(answer.body ?? '{}') as { request: { id: string } }).request.id;
    expect(id(again)).toBe(id(first));
    expect((await world.store.listByRequester('oidc:alice@example.com')).items).toHaveLength(1);

    // Another person sending the same key gets a request of their own, never Alice's.
    const bob = await handler(event('POST', '/console/api/requests', { email: 'bob@example.com' }, form));
    expect(bob.statusCode).toBe(201);
    expect(JSON.parse(bob.body ?? '{}')).toMatchObject({ request: { requester: 'oidc:bob@example.com' } });
  });

  it('refuses a malformed idempotency key as a form problem, writing nothing', async () => {
    const { handler, world } = setUp();
    const answer = await handler(
      event(
        'POST',
        '/console/api/requests',
        { email: 'alice@example.com' },
        { targetId: 'sandbox', idempotencyKey: 'no spaces allowed' },
      ),
    );
    expect(answer.statusCode).toBe(422);
    expect(world.queue.jobs).toHaveLength(0);
  });
});
