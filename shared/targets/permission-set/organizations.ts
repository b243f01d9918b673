import {
  DescribeAccountCommand,
  paginateListAccountsForParent,
  paginateListChildren,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { AwsOperationError } from '../../domain/grant-ports.js';
import { toOperationError } from '../../adapters/aws/aws-errors.js';
import type { OrganizationAccounts, OrgAccount } from './ports.js';
import { TtlCache } from './ttl-cache.js';

/** How long an OU's accounts (and an account's name) are remembered. */
export const ORG_TTL_MS = 10 * 60_000;

/** The most OUs walked under one OU (a guard against a runaway tree). */
const MAX_OUS = 1_000;

/**
 * The Organization's accounts by OU (organizations:ListAccountsForParent, ListChildren for
 * nested OUs, DescribeAccount for a name), cached for {@link ORG_TTL_MS}. Only ACTIVE accounts
 * count: a suspended or closing account cannot be granted in.
 */
export class OrganizationsAccounts implements OrganizationAccounts {
  private readonly accounts: TtlCache<readonly OrgAccount[]>;
  private readonly names: TtlCache<string | undefined>;

  constructor(
    private readonly organizations: OrganizationsClient,
    now: () => number = Date.now,
  ) {
    this.accounts = new TtlCache(ORG_TTL_MS, now);
    this.names = new TtlCache(ORG_TTL_MS, now);
  }

  accountsUnder(ou: string, nested: boolean): Promise<readonly OrgAccount[]> {
    return this.accounts.get(`${ou} ${nested}`, async () => {
      const found: OrgAccount[] = [];
      const queue = [ou];
      for (let walked = 0; queue.length > 0 && walked < MAX_OUS; walked++) {
        const parent = queue.shift()!;
        found.push(...(await this.directAccounts(parent)));
        if (nested) queue.push(...(await this.childOus(parent)));
      }
      return found;
    });
  }

  nameOf(id: string): Promise<string | undefined> {
    return this.names.get(id, async () => {
      try {
        const out = await this.organizations.send(new DescribeAccountCommand({ AccountId: id }));
        return out.Account?.Name;
      } catch (error) {
        const wrapped = toOperationError('organizations:DescribeAccount', error);
        if (wrapped.transient) throw wrapped;
        return undefined;
      }
    });
  }

  private async directAccounts(parent: string): Promise<OrgAccount[]> {
    const found: OrgAccount[] = [];
    try {
      for await (const page of paginateListAccountsForParent(
        { client: this.organizations },
        { ParentId: parent },
      )) {
        for (const a of page.Accounts ?? []) {
          const active = (a.State ?? a.Status) === 'ACTIVE';
          if (a.Id && active) found.push({ id: a.Id, name: a.Name ?? a.Id });
        }
      }
    } catch (error) {
      throw error instanceof AwsOperationError
        ? error
        : toOperationError('organizations:ListAccountsForParent', error);
    }
    return found;
  }

  private async childOus(parent: string): Promise<string[]> {
    const found: string[] = [];
    try {
      for await (const page of paginateListChildren(
        { client: this.organizations },
        { ParentId: parent, ChildType: 'ORGANIZATIONAL_UNIT' },
      )) {
        for (const child of page.Children ?? []) if (child.Id) found.push(child.Id);
      }
    } catch (error) {
      throw toOperationError('organizations:ListChildren', error);
    }
    return found;
  }
}
