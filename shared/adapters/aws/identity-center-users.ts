import { GetUserIdCommand, type IdentitystoreClient } from '@aws-sdk/client-identitystore';
import { AwsOperationError } from '../../domain/grant-ports.js';
import { awsErrorName, toOperationError } from './aws-errors.js';

/**
 * No Identity Center user answers to a principal. Permanent: trying again finds nobody either
 * until an administrator adds the person (or maps them in the policy's `userIds`).
 */
export class IdentityCenterUserNotFoundError extends AwsOperationError {
  static {
    this.prototype.name = 'IdentityCenterUserNotFoundError';
  }

  constructor(identityStoreId: string, principal: string, cause?: unknown) {
    super(
      'identitystore:GetUserId',
      `no Identity Center user in ${identityStoreId} has the email "${principal}"; ` +
        'add the person to Identity Center with that email, or map them under userIds in the policy',
      { transient: false, cause },
    );
  }
}

/** Finds the Identity Center UserId of the person a grant is for. */
export interface IdentityCenterUserLookup {
  /**
   * The UserId of `principal` in `identityStoreId`: `overrides[principal]` when the policy maps
   * them, else the user whose email (`emails.value`) is `principal`. Throws
   * IdentityCenterUserNotFoundError when nobody matches.
   */
  userIdOf(
    identityStoreId: string,
    principal: string,
    overrides?: Readonly<Record<string, string>>,
  ): Promise<string>;
}

export interface IdentityCenterUsersOptions {
  /** How long a found UserId is trusted (default 15 minutes): a re-created user gets a new id. */
  readonly ttlMs?: number;
  /** Most entries kept (default 5,000); the oldest goes first. */
  readonly maxEntries?: number;
  /** Milliseconds now (tests pass a manual clock). */
  readonly now?: () => number;
}

/**
 * Identity Store user lookup by email (`GetUserId` on the unique attribute `emails.value`), with
 * the policy's override map first. Found ids are cached for a bounded time and count; misses
 * are never cached (the person may be added a minute later).
 */
export class IdentityCenterUsers implements IdentityCenterUserLookup {
  private readonly cache = new Map<string, { userId: string; until: number }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly identityStore: IdentitystoreClient,
    options: IdentityCenterUsersOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 15 * 60_000;
    this.maxEntries = options.maxEntries ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  async userIdOf(
    identityStoreId: string,
    principal: string,
    overrides: Readonly<Record<string, string>> = {},
  ): Promise<string> {
    const email = principal.trim().toLowerCase();
    const override = overrides[email];
    if (override !== undefined) return override;
    const key = `${identityStoreId}#${email}`;
    const cached = this.cache.get(key);
    if (cached && cached.until > this.now()) return cached.userId;
    this.cache.delete(key);
    const userId = await this.lookUp(identityStoreId, email);
    if (this.cache.size >= this.maxEntries) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(key, { userId, until: this.now() + this.ttlMs });
    return userId;
  }

  private async lookUp(identityStoreId: string, email: string): Promise<string> {
    const userId = await getUserIdBy(this.identityStore, identityStoreId, 'emails.value', email);
    if (userId === undefined) throw new IdentityCenterUserNotFoundError(identityStoreId, email);
    return userId;
  }
}

/**
 * The UserId whose unique attribute `path` (`emails.value`, `userName`) is `value`, or undefined
 * when nobody has it. Other failures throw AwsOperationError (`transient` when AWS may recover).
 */
export async function getUserIdBy(
  identityStore: IdentitystoreClient,
  identityStoreId: string,
  path: 'emails.value' | 'userName',
  value: string,
): Promise<string | undefined> {
  try {
    const out = await identityStore.send(
      new GetUserIdCommand({
        IdentityStoreId: identityStoreId,
        AlternateIdentifier: { UniqueAttribute: { AttributePath: path, AttributeValue: value } },
      }),
    );
    return out.UserId || undefined;
  } catch (error) {
    if (awsErrorName(error) === 'ResourceNotFoundException') return undefined;
    throw toOperationError('identitystore:GetUserId', error);
  }
}
