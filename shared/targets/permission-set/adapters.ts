import type { IdentitystoreClient } from '@aws-sdk/client-identitystore';
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { SSOAdminClient } from '@aws-sdk/client-sso-admin';
import type { PermissionSetAdapters } from './driver.js';
import { IdentityStoreUsers } from './identity-store.js';
import { OrganizationsAccounts } from './organizations.js';
import { SsoAdminIdentityCenter } from './sso-admin.js';

/** The permission-set kind's adapters over the SDK clients (built by shared/adapters/aws/clients.ts). */
export function permissionSetAdapters(clients: {
  readonly ssoAdmin: SSOAdminClient;
  readonly identityStore: IdentitystoreClient;
  readonly organizations: OrganizationsClient;
}): PermissionSetAdapters {
  return {
    identityCenter: new SsoAdminIdentityCenter(clients.ssoAdmin),
    users: new IdentityStoreUsers(clients.identityStore),
    organization: new OrganizationsAccounts(clients.organizations),
  };
}
