import { describe, expect, it } from 'vitest';
import { routeRequest, type RequestApiDeps } from '../../../functions/request-api/routes.js';
import type { AccountDirectory } from '../../../shared/domain/account-directory.js';
import { fakeWorld } from '../../support/fakes.js';
import { fakeSlackDirectory } from '../../support/request-api.js';
import { permissionSetPolicyYaml } from '../../support/permission-set-policy.js';

/**
 * `jit request <permission-set target> --account A[,B]`: the API takes the accounts asked for,
 * checked like the Slack form's picker (each one the target reaches, at least one), and makes
 * one grant per account; a target not granted per account refuses the flag.
 */
const POLICY = permissionSetPolicyYaml();
const directory: AccountDirectory = {
  nameOf: async () => undefined,
  accountsFor: async (target) =>
    target.id === 'shop-admin'
      ? [
          { id: '111122223333', name: 'prod' },
          { id: '444455556666', name: 'staging' },
        ]
      : undefined,
  accessNameOf: async () => 'AdministratorAccess',
};

function api() {
  const world = fakeWorld(POLICY);
  const deps = {
    requests: { ...world.deps, accounts: directory },
    grants: world.deps,
    people: { policy: world.deps.policy, directory: fakeSlackDirectory({ UDEV1: 'dev@example.com' }, {}) },
  } as unknown as RequestApiDeps;
  const submit = (body: unknown) =>
    routeRequest(deps, { provider: 'slack', id: 'UDEV1' }, 'api', 'POST', '/requests', body);
  return { world, submit };
}

describe('the request API and accounts', () => {
  it('makes a request over the accounts asked for', async () => {
    const { world, submit } = api();
    const answer = await submit({
      target: 'shop-admin',
      account: '111122223333, 444455556666',
      reason: 'fix',
    });
    expect(answer.status).toBe(201);
    const stored = [...world.store.items.values()];
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ targetId: 'shop-admin', accounts: ['111122223333', '444455556666'] });
  });

  it.each([
    ['no account', undefined, 'Choose at least one account.'],
    ['an account the target does not reach', '999999999999', 'Account 999999999999 is not one'],
  ])('refuses %s for a permission-set target, and writes nothing', async (_case, account, message) => {
    const { world, submit } = api();
    const answer = await submit({ target: 'shop-admin', reason: 'fix', ...(account ? { account } : {}) });
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ outcome: 'refused', field: 'account' });
    expect(JSON.stringify(answer.body)).toContain(message);
    expect(world.store.items.size).toBe(0);
  });

  it('refuses an account for a target not granted per account', async () => {
    const { world, submit } = api();
    const answer = await submit({ target: 'dev-group', account: '111122223333', reason: 'fix' });
    expect(answer.status).toBe(400);
    expect(world.store.items.size).toBe(0);
  });
});
