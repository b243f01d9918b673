import type { webApi } from '@slack/bolt';
import { mapIdentity, referencedUserGroups, type IdentityMapping } from '../../domain/identity.js';
import type { SlackPerson } from '../../domain/policy.js';
import type { Clock, PolicySource } from '../../domain/ports.js';

/** How long looked-up emails and user group members are trusted (a warm Lambda reuses them). */
export const DIRECTORY_TTL_SECONDS = 60;

interface Cached<T> {
  readonly value: T;
  readonly until: number;
}

/**
 * Who is who in Slack: emails (users.info) and user group members (usergroups.users.list),
 * cached briefly so a warm function answers fast. Only user groups the policy refers to are
 * looked up.
 */
export class SlackDirectory {
  private readonly emails = new Map<string, Cached<string | undefined>>();
  private readonly groups = new Map<string, Cached<readonly string[]>>();

  constructor(
    private readonly client: webApi.WebClient,
    private readonly clock: Clock,
    private readonly ttlSeconds = DIRECTORY_TTL_SECONDS,
  ) {}

  private fresh<T>(entry: Cached<T> | undefined): entry is Cached<T> {
    return entry !== undefined && entry.until > this.clock.now().getTime();
  }

  private until(): number {
    return this.clock.now().getTime() + this.ttlSeconds * 1000;
  }

  /** The user's profile email, or undefined when Slack has none (bots, guests without one). */
  async emailOf(userId: string): Promise<string | undefined> {
    const cached = this.emails.get(userId);
    if (this.fresh(cached)) return cached.value;
    const result = await this.client.users.info({ user: userId });
    const email = result.user?.profile?.email;
    this.emails.set(userId, { value: email, until: this.until() });
    return email;
  }

  /** The user ids in a Slack user group. */
  async membersOf(groupId: string): Promise<readonly string[]> {
    const cached = this.groups.get(groupId);
    if (this.fresh(cached)) return cached.value;
    const result = await this.client.usergroups.users.list({ usergroup: groupId });
    const users = result.users ?? [];
    this.groups.set(groupId, { value: users, until: this.until() });
    return users;
  }
}

/** A person as the policy sees them, and their AWS identity (or why there is none). */
export interface ResolvedPerson {
  readonly person: SlackPerson;
  readonly identity: IdentityMapping;
}

/**
 * Identity mapping for the Slack function: the Slack user's groups (among those the policy
 * names) and the AWS principal from the override map or the users.info email.
 */
export class SlackIdentityResolver {
  constructor(
    private readonly directory: SlackDirectory,
    private readonly policy: PolicySource,
  ) {}

  /** The person with the policy's user groups they belong to (no email lookup). */
  async person(userId: string): Promise<SlackPerson> {
    const groups = referencedUserGroups(this.policy.current());
    const memberships = await Promise.all(
      groups.map(async (g) => ((await this.directory.membersOf(g)).includes(userId) ? g : undefined)),
    );
    return { userId, userGroups: memberships.filter((g): g is string => g !== undefined) };
  }

  /** The person and their AWS identity. */
  async resolve(userId: string): Promise<ResolvedPerson> {
    const policy = this.policy.current();
    const [person, email] = await Promise.all([
      this.person(userId),
      policy.identities[userId] === undefined ? this.directory.emailOf(userId) : Promise.resolve(undefined),
    ]);
    return { person, identity: mapIdentity(policy, userId, email) };
  }
}
