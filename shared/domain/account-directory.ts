import type { Target } from './policy.js';

/**
 * AWS accounts by name, for the people who read about them: the request form offers the
 * accounts a target may be granted in, and messages name each account ("Prod (111122223333)")
 * rather than leave a bare twelve-digit id.
 */

/** An AWS account and, when it could be read, its name. */
export interface NamedAccount {
  readonly id: string;
  readonly name?: string;
}

/**
 * The account directory port: account id → name (organizations:DescribeAccount/ListAccounts in
 * AWS, the sandbox's organization locally), and the accounts a kind granted per account lets a
 * target reach. Lookups are cached by the adapters with a bounded TTL.
 */
export interface AccountDirectory {
  /** The name of account `id`, or undefined when it cannot be read. */
  nameOf(id: string): Promise<string | undefined>;
  /**
   * The accounts `target` may be granted in (OUs expanded), each with its name; undefined for a
   * kind that is not granted per account (nothing to pick).
   */
  accountsFor(target: Target): Promise<readonly NamedAccount[] | undefined>;
  /**
   * The name of what a grant of `target` gives inside an account (a permission set's name, when
   * the policy names it by ARN); undefined for a kind that has none.
   */
  accessNameOf?(target: Target): Promise<string | undefined>;
}

/** "Prod (111122223333)", or the id alone when the name is unknown or is the id. */
export function accountLabel(account: NamedAccount): string {
  return account.name && account.name !== account.id ? `${account.name} (${account.id})` : account.id;
}
