import {
  GetUserIdCommand,
  IdentitystoreClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-identitystore';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  IdentityCenterUserNotFoundError,
  IdentityCenterUsers,
} from '../../../shared/adapters/aws/identity-center-users.js';

const ids = mockClient(IdentitystoreClient);
const STORE = 'd-1234567890';
afterEach(() => ids.reset());

function users(now = { t: 0 }) {
  return new IdentityCenterUsers(new IdentitystoreClient({ region: 'us-east-1' }), {
    ttlMs: 60_000,
    now: () => now.t,
  });
}

describe('IdentityCenterUsers', () => {
  it('finds a user by email with GetUserId on emails.value (lower-cased)', async () => {
    ids.on(GetUserIdCommand).resolves({ UserId: 'u-1', IdentityStoreId: STORE, $metadata: {} });
    await expect(users().userIdOf(STORE, 'Alice@Example.com')).resolves.toBe('u-1');
    expect(ids.commandCalls(GetUserIdCommand).map((c) => c.args[0].input)).toEqual([
      {
        IdentityStoreId: STORE,
        AlternateIdentifier: {
          UniqueAttribute: { AttributePath: 'emails.value', AttributeValue: 'alice@example.com' },
        },
      },
    ]);
  });

  it('takes the policy override without asking AWS', async () => {
    await expect(
      users().userIdOf(STORE, 'alice@example.com', { 'alice@example.com': 'u-override' }),
    ).resolves.toBe('u-override');
    expect(ids.commandCalls(GetUserIdCommand)).toHaveLength(0);
  });

  it('caches a found id for its TTL only', async () => {
    ids.on(GetUserIdCommand).resolves({ UserId: 'u-1', IdentityStoreId: STORE, $metadata: {} });
    const clock = { t: 0 };
    const lookup = users(clock);
    await lookup.userIdOf(STORE, 'alice@example.com');
    clock.t = 59_999;
    await lookup.userIdOf(STORE, 'alice@example.com');
    expect(ids.commandCalls(GetUserIdCommand)).toHaveLength(1);
    clock.t = 60_000;
    await lookup.userIdOf(STORE, 'alice@example.com');
    expect(ids.commandCalls(GetUserIdCommand)).toHaveLength(2);
  });

  it('says clearly when nobody matches (permanent, not cached)', async () => {
    ids.on(GetUserIdCommand).rejects(new ResourceNotFoundException({ message: 'no user', $metadata: {} }));
    const lookup = users();
    const error = await lookup.userIdOf(STORE, 'ghost@example.com').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdentityCenterUserNotFoundError);
    expect(error).toMatchObject({ transient: false });
    expect((error as Error).message).toMatch(
      /no Identity Center user in d-1234567890 has the email "ghost@example.com".*userIds/,
    );
    await lookup.userIdOf(STORE, 'ghost@example.com').catch(() => undefined);
    expect(ids.commandCalls(GetUserIdCommand)).toHaveLength(2);
  });
});
