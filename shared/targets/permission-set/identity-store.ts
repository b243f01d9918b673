import type { IdentitystoreClient } from '@aws-sdk/client-identitystore';
import { getUserIdBy } from '../../adapters/aws/identity-center-users.js';
import type { IdentityCenterUsers } from './ports.js';
import { TtlCache } from './ttl-cache.js';

/** How long a person's Identity Center user id is remembered (a user re-created shows within this). */
export const USER_ID_TTL_MS = 15 * 60_000;

/**
 * Identity Center users by email or user name (identitystore:GetUserId on the unique
 * attributes `emails.value`, then `userName`), cached for {@link USER_ID_TTL_MS}.
 */
export class IdentityStoreUsers implements IdentityCenterUsers {
  private readonly cache: TtlCache<string | undefined>;

  constructor(
    private readonly identityStore: IdentitystoreClient,
    now: () => number = Date.now,
  ) {
    this.cache = new TtlCache(USER_ID_TTL_MS, now);
  }

  userIdOf(identityStoreId: string, name: string): Promise<string | undefined> {
    return this.cache.get(`${identityStoreId} ${name.toLowerCase()}`, async () => {
      const byEmail = name.includes('@')
        ? await this.lookUp(identityStoreId, 'emails.value', name)
        : undefined;
      return byEmail ?? (await this.lookUp(identityStoreId, 'userName', name));
    });
  }

  private lookUp(identityStoreId: string, path: 'emails.value' | 'userName', value: string) {
    return getUserIdBy(this.identityStore, identityStoreId, path, value);
  }
}
