import type { webApi } from '@slack/bolt';
import type { Person, PersonProvider } from '../../domain/person.js';
import type { Clock, PersonDirectory } from '../../domain/ports.js';

/** How long looked-up emails and user group members are trusted (a warm Lambda reuses them). */
export const DIRECTORY_TTL_SECONDS = 60;

interface Cached<T> {
  readonly value: T;
  readonly until: number;
}

/**
 * Who is who in Slack: emails (users.info) and user group members (usergroups.users.list),
 * cached briefly so a warm function answers fast. As a PersonDirectory it answers for Slack
 * persons; which user groups to ask about (those the policy refers to) is the caller's choice.
 */
export class SlackDirectory implements PersonDirectory {
  readonly providers: readonly PersonProvider[] = ['slack'];

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
  async emailOf(person: Person): Promise<string | undefined> {
    const userId = slackIdOf(person);
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

  /** Which of the Slack user groups `groups` the person is a member of. */
  async groupsOf(person: Person, groups: readonly string[]): Promise<readonly string[]> {
    const userId = slackIdOf(person);
    const memberships = await Promise.all(
      groups.map(async (g) => ((await this.membersOf(g)).includes(userId) ? g : undefined)),
    );
    return memberships.filter((g): g is string => g !== undefined);
  }
}

/** The Slack user id of a Slack person; asking Slack about anyone else is a wiring mistake. */
function slackIdOf(person: Person): string {
  if (person.provider !== 'slack') throw new TypeError(`Slack knows no ${person.provider} person`);
  return person.id;
}
