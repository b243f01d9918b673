import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createConsoleApiHandler } from '../../../functions/console-api/handler.js';
import type { AccountDirectory } from '../../../shared/domain/account-directory.js';
import { fakeWorld } from '../../support/fakes.js';
import {
  PERMISSION_SET_TARGET,
  PROD_ACCOUNT,
  STAGING_ACCOUNT,
  permissionSetPolicyYaml,
} from '../../support/permission-set-policy.js';

/**
 * The console's accounts picker: GET /me offers a permission-set target's accounts (the same
 * directory as the Slack modal), and POST /requests takes the accounts picked, checked by the
 * same rule (at least one; only the target's), one grant each under one approval.
 */
const directory: AccountDirectory = {
  nameOf: async (id) => (id === PROD_ACCOUNT ? 'Prod' : undefined),
  accountsFor: async (target) =>
    target.id === PERMISSION_SET_TARGET
      ? [{ id: PROD_ACCOUNT, name: 'Prod' }, { id: STAGING_ACCOUNT }]
      : undefined,
};

function event(method: string, path: string, body?: unknown): APIGatewayProxyEventV2WithJWTAuthorizer {
  return {
    rawPath: path,
    headers: { authorization: 'Bearer t.t.t' },
    isBase64Encoded: false,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    requestContext: {
      http: { method },
      authorizer: { jwt: { claims: { email: 'alice@example.com' }, scopes: [] } },
    },
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
}

function setUp(accounts: AccountDirectory = directory) {
  const world = fakeWorld(permissionSetPolicyYaml({ requesters: ['everyone'] }));
  const handler = createConsoleApiHandler({
    api: { request: { ...world.deps, accounts }, reader: {} as never },
    emailClaim: 'email',
    groupsClaim: 'groups',
    origin: 'https://console.example.com',
    logger: { warn: () => undefined, error: () => undefined },
  });
  return { world, handler };
}

const body = (answer: { body?: string }) => JSON.parse(answer.body ?? '{}') as Record<string, unknown>;

describe('the console API and accounts', () => {
  it('offers the accounts of a permission-set target, named', async () => {
    const { handler } = setUp();
    const me = body(await handler(event('GET', '/console/api/me')));
    const targets = me.targets as { id: string; accounts?: unknown }[];
    expect(targets.find((t) => t.id === PERMISSION_SET_TARGET)?.accounts).toEqual([
      { id: PROD_ACCOUNT, name: 'Prod' },
      { id: STAGING_ACCOUNT },
    ]);
  });

  it.each([
    [
      'an account outside the allowed set',
      [PROD_ACCOUNT, '999999999999'],
      'Account 999999999999 is not one this target may be granted in.',
    ],
    ['no account', [], 'Choose at least one account.'],
  ])('refuses %s with 400 and the Slack modal’s words, writing nothing', async (_case, accounts, message) => {
    const { handler, world } = setUp();
    const answer = await handler(
      event('POST', '/console/api/requests', { targetId: PERMISSION_SET_TARGET, reason: 'fix', accounts }),
    );
    expect(answer.statusCode).toBe(400);
    expect(body(answer)).toEqual({ outcome: 'refused', field: 'accounts', message });
    expect(world.store.items.size).toBe(0);
    expect(world.queue.jobs).toHaveLength(0);
  });

  it('makes one request over the accounts picked', async () => {
    const { handler, world } = setUp();
    const answer = await handler(
      event('POST', '/console/api/requests', {
        targetId: PERMISSION_SET_TARGET,
        reason: 'fix',
        accounts: [PROD_ACCOUNT, STAGING_ACCOUNT],
      }),
    );
    expect(answer.statusCode).toBe(201);
    expect([...world.store.items.values()]).toMatchObject([
      { targetId: PERMISSION_SET_TARGET, accounts: [PROD_ACCOUNT, STAGING_ACCOUNT] },
    ]);
  });

  it.each([
    [
      'named where the name can be read',
      directory,
      [{ id: PROD_ACCOUNT, name: 'Prod' }, { id: STAGING_ACCOUNT }],
    ],
    [
      'by id alone when the name reads are refused (never a failed page)',
      { ...directory, nameOf: () => Promise.reject(new Error('AccessDenied')) },
      [{ id: PROD_ACCOUNT }, { id: STAGING_ACCOUNT }],
    ],
  ])('lists a pending request with its accounts, %s', async (_case, accounts, named) => {
    const { handler } = setUp(accounts);
    await handler(
      event('POST', '/console/api/requests', {
        targetId: PERMISSION_SET_TARGET,
        reason: 'fix',
        accounts: [PROD_ACCOUNT, STAGING_ACCOUNT],
      }),
    );
    const answer = await handler(event('GET', '/console/api/my-access'));
    expect(answer.statusCode).toBe(200);
    const pending = body(answer).pending as { targetId: string; accounts?: unknown }[];
    expect(pending).toMatchObject([{ targetId: PERMISSION_SET_TARGET, accounts: named }]);
  });
});
