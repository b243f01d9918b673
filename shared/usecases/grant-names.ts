import type { AccountDirectory } from '../domain/account-directory.js';
import { grantAccountIds, unnamedGrant, type GrantNames } from '../domain/grant-names.js';
import type { Target } from '../domain/policy.js';
import type { AccessRequest } from '../domain/request.js';

/**
 * The names of where `request` applies (its accounts' names, its permission set's name) from
 * the account directory. Never fails: a name that cannot be read, or no directory at all,
 * leaves the id. Why: a message or an answer must never be lost for want of a name.
 */
export async function grantNames(
  directory: AccountDirectory | undefined,
  request: Pick<AccessRequest, 'account' | 'accounts'>,
  target: Target | undefined,
): Promise<GrantNames> {
  if (!directory) return unnamedGrant(request);
  const [accounts, permissionSetName] = await Promise.all([
    Promise.all(
      grantAccountIds(request).map(async (id) => {
        const name = await orNothing(() => directory.nameOf(id));
        return name === undefined ? { id } : { id, name };
      }),
    ),
    target === undefined ? undefined : orNothing(async () => directory.accessNameOf?.(target)),
  ]);
  return permissionSetName === undefined ? { accounts } : { accounts, permissionSetName };
}

/** The lookup's answer, or undefined when it failed (thrown or rejected). */
async function orNothing<T>(lookup: () => Promise<T | undefined>): Promise<T | undefined> {
  try {
    return await lookup();
  } catch {
    return undefined;
  }
}
