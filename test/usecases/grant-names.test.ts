import { describe, expect, it } from 'vitest';
import type { AccountDirectory } from '../../shared/domain/account-directory.js';
import { grantScopeText } from '../../shared/domain/grant-names.js';
import { type Target } from '../../shared/domain/policy.js';
import { grantNames } from '../../shared/usecases/grant-names.js';
import { permissionSetPolicy } from '../support/permission-set-policy.js';

const POLICY = permissionSetPolicy(
  { permissionSet: 'arn:aws:sso:::permissionSet/ssoins-1111222233334444/ps-0123456789abcdef' },
  'grant-names-policy',
);
const target = POLICY.targets[0] as Target;

const working: AccountDirectory = {
  nameOf: async (id) => ({ '111122223333': 'prod', '444455556666': 'staging' })[id],
  accountsFor: async () => undefined,
  accessNameOf: async () => 'AdministratorAccess',
};
const failing: AccountDirectory = {
  nameOf: () => Promise.reject(new Error('AccessDenied')),
  accountsFor: () => Promise.reject(new Error('AccessDenied')),
  accessNameOf: () => {
    throw new Error('AccessDenied');
  },
};

describe('grantNames', () => {
  it.each([
    {
      description: 'names every account of a request over several, and the permission set',
      directory: working,
      request: { account: '111122223333', accounts: ['111122223333', '444455556666'] },
      expected: 'AdministratorAccess in prod (111122223333), staging (444455556666)',
    },
    {
      description: 'names the one account of a grant',
      directory: working,
      request: { account: '444455556666' },
      expected: 'AdministratorAccess in staging (444455556666)',
    },
    {
      description: 'falls back to the ids when every lookup fails (never throws)',
      directory: failing,
      request: { account: '111122223333' },
      expected: '111122223333',
    },
    {
      description: 'falls back to the ids when no directory is wired',
      directory: undefined,
      request: { account: '111122223333', accounts: ['111122223333', '444455556666'] },
      expected: '111122223333, 444455556666',
    },
    {
      description: 'has nothing to say of a grant without accounts or a permission set',
      directory: undefined,
      request: {},
      expected: undefined,
    },
  ])('$description', async ({ directory, request, expected }) => {
    expect(grantScopeText(await grantNames(directory, request, target))).toBe(expected);
  });
});
