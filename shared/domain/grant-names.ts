import { accountLabel, type NamedAccount } from './account-directory.js';
import type { AccessRequest } from './request.js';

/**
 * What people read about where a grant applies: its accounts by name and id, and the
 * permission set it gives there. Looked up once per message by the use case grantNames
 * (shared/usecases/grant-names.ts); the views only render it.
 */
export interface GrantNames {
  /** The grant's accounts (all those of a request over several), each named when it could be. */
  readonly accounts: readonly NamedAccount[];
  /** The permission set's name, when the grant gives one and it could be read. */
  readonly permissionSetName?: string;
}

/** The accounts a request names: all of a request over several accounts, else its one account. */
export function grantAccountIds(request: Pick<AccessRequest, 'account' | 'accounts'>): readonly string[] {
  if (request.accounts && request.accounts.length > 0) return request.accounts;
  return request.account === undefined ? [] : [request.account];
}

/** The names of a grant when none could be looked up: its account ids alone. */
export function unnamedGrant(request: Pick<AccessRequest, 'account' | 'accounts'>): GrantNames {
  return { accounts: grantAccountIds(request).map((id) => ({ id })) };
}

/** "Prod (111122223333), Dev (444455556666)", or undefined for a grant without accounts. */
export function accountsText(names: GrantNames): string | undefined {
  return names.accounts.length === 0 ? undefined : names.accounts.map(accountLabel).join(', ');
}

/**
 * One line for where a grant applies: "AdministratorAccess in Prod (111122223333)", the
 * accounts or the permission set alone when only one is known, undefined when neither is.
 */
export function grantScopeText(names: GrantNames): string | undefined {
  const where = accountsText(names);
  if (names.permissionSetName !== undefined && where !== undefined)
    return `${names.permissionSetName} in ${where}`;
  return names.permissionSetName ?? where;
}
