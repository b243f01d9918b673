import { describe, expect, it } from 'vitest';
import { main } from '../../../functions/cli/jit.js';
import { routeRequest, type RequestApiDeps } from '../../../functions/request-api/routes.js';
import type { AccountDirectory } from '../../../shared/domain/account-directory.js';
import { fakeWorld } from '../../support/fakes.js';
import { grantRecord, storeGrants } from '../../support/fake-aws.js';
import { fakeSlackDirectory } from '../../support/request-api.js';

/**
 * The request API names where a grant in accounts applies (`accountName`, `permissionSetName`)
 * and `jit ls` prints those names; a lookup that fails leaves the account id.
 */
const directory: AccountDirectory = {
  nameOf: async (id) => (id === '111122223333' ? 'prod' : undefined),
  accountsFor: async () => undefined,
  accessNameOf: async () => 'AdministratorAccess',
};
const failing: AccountDirectory = {
  nameOf: () => Promise.reject(new Error('AccessDenied')),
  accountsFor: () => Promise.reject(new Error('AccessDenied')),
  accessNameOf: () => Promise.reject(new Error('AccessDenied')),
};
const caller = { provider: 'slack', id: 'UDEV1' } as const;

async function apiOver(accounts: AccountDirectory | undefined) {
  const world = fakeWorld();
  const now = world.clock.now().getTime();
  await storeGrants(world, [
    grantRecord({
      id: 'req-1',
      status: 'ACTIVE',
      account: '111122223333',
      startsAt: new Date(now - 60_000).toISOString(),
      endsAt: new Date(now + 3_600_000).toISOString(),
    }),
  ]);
  const deps = {
    requests: { ...world.deps, ...(accounts ? { accounts } : {}) },
    grants: world.deps,
    people: { policy: world.deps.policy, directory: fakeSlackDirectory({ UDEV1: 'dev@example.com' }, {}) },
  } as unknown as RequestApiDeps;
  return (method: string, path: string) => routeRequest(deps, caller, 'api', method, path, undefined);
}

describe('the request API’s names of a grant in accounts', () => {
  it('answers with the account’s and the permission set’s names', async () => {
    const answer = await (await apiOver(directory))('GET', '/requests/req-1');
    expect(answer.body).toMatchObject({
      request: { account: '111122223333', accountName: 'prod', permissionSetName: 'AdministratorAccess' },
    });
  });

  it('answers with the account id alone when the lookups fail', async () => {
    const answer = await (await apiOver(failing))('GET', '/requests/req-1');
    const request = (answer.body as { request: Record<string, unknown> }).request;
    expect(request).toMatchObject({ account: '111122223333' });
    expect(request).not.toHaveProperty('accountName');
    expect(request).not.toHaveProperty('permissionSetName');
  });
});

describe('jit ls', () => {
  it('prints the permission set and the account, "name (id)"', async () => {
    const api = await apiOver(directory);
    let stdout = '';
    const code = await main(['ls', '--url', 'http://127.0.0.1:9/api'], {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: () => true },
      env: {},
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      fetch: async (input, init) => {
        const path = new URL(String(input)).pathname.replace(/^\/api/, '');
        const answer = await api(init?.method ?? 'GET', path);
        return new Response(JSON.stringify(answer.body), { status: answer.status });
      },
    });
    expect(code).toBe(0);
    expect(stdout).toContain('req-1  dev-group (AdministratorAccess in prod (111122223333))  ACTIVE');
  });
});
