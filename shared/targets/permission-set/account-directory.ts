import type { AccountDirectory } from '../../domain/account-directory.js';
import { allowedAccounts, type PermissionSetAdapters } from './driver.js';
import { isPermissionSetTarget, PERMISSION_SET_ARN } from './kind.js';

/**
 * The account directory over the permission-set kind's adapters: names from the Organization
 * (DescribeAccount, cached with a bounded TTL by OrganizationsAccounts or the sandbox), the
 * accounts of a permission-set target (its accounts and its OUs' active accounts) and its
 * permission set's name. A name that cannot be read falls back to the id or ARN: a message or
 * a form never fails for want of a name.
 */
export function permissionSetAccountDirectory(
  adapters: Pick<PermissionSetAdapters, 'organization' | 'identityCenter'>,
): AccountDirectory {
  return {
    nameOf: (id) => adapters.organization.nameOf(id).catch(() => undefined),
    accountsFor: async (target) =>
      isPermissionSetTarget(target) ? allowedAccounts(adapters.organization, target) : undefined,
    accessNameOf: async (target) => {
      if (!isPermissionSetTarget(target)) return undefined;
      if (!PERMISSION_SET_ARN.test(target.permissionSet)) return target.permissionSet;
      const set = await adapters.identityCenter
        .permissionSet(target.instanceArn, target.permissionSet)
        .catch(() => undefined);
      return set?.name ?? target.permissionSet;
    },
  };
}
