import {
  ConflictException,
  CreateGroupMembershipCommand,
  DeleteGroupMembershipCommand,
  GetGroupIdCommand,
  GetGroupMembershipIdCommand,
  GetUserIdCommand,
  IdentitystoreClient,
  ListGroupMembershipsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-identitystore';
import { mockClient } from 'aws-sdk-client-mock';

const meta = (n: number) => ({ $metadata: { requestId: `ids-${n}` } });
const notFound = (message: string) => new ResourceNotFoundException({ message, $metadata: {} });

/**
 * An identity store in memory behind `aws-sdk-client-mock`: the real Identity Store adapters
 * send real commands, and this answers them as the service would (ConflictException for an
 * existing member, ResourceNotFound for an unknown user, group or membership).
 */
export class InMemoryIdentityStore {
  readonly mock = mockClient(IdentitystoreClient);
  readonly client = new IdentitystoreClient({ region: 'us-east-1' });
  /** GroupId → (UserId → MembershipId). */
  private readonly groups = new Map<string, Map<string, string>>();
  private readonly users = new Map<string, string>();
  private readonly names = new Map<string, string>();
  private counter = 0;

  constructor() {
    this.mock.on(GetUserIdCommand).callsFake((input: GetUserIdCommand['input']) => {
      const attr =
        input.AlternateIdentifier && 'UniqueAttribute' in input.AlternateIdentifier
          ? input.AlternateIdentifier.UniqueAttribute
          : undefined;
      const id = this.users.get(String(attr?.AttributeValue));
      if (!id) throw notFound('no such user');
      return { UserId: id, IdentityStoreId: input.IdentityStoreId, ...meta(++this.counter) };
    });
    this.mock.on(GetGroupIdCommand).callsFake((input: GetGroupIdCommand['input']) => {
      const attr =
        input.AlternateIdentifier && 'UniqueAttribute' in input.AlternateIdentifier
          ? input.AlternateIdentifier.UniqueAttribute
          : undefined;
      const id = this.names.get(String(attr?.AttributeValue));
      if (!id) throw notFound('no such group');
      return { GroupId: id, IdentityStoreId: input.IdentityStoreId, ...meta(++this.counter) };
    });
    this.mock.on(CreateGroupMembershipCommand).callsFake((input: CreateGroupMembershipCommand['input']) => {
      const members = this.group(input.GroupId ?? '');
      const userId = input.MemberId && 'UserId' in input.MemberId ? (input.MemberId.UserId ?? '') : '';
      if (members.has(userId)) throw new ConflictException({ message: 'already a member', $metadata: {} });
      const membershipId = `m-${++this.counter}`;
      members.set(userId, membershipId);
      return { MembershipId: membershipId, IdentityStoreId: input.IdentityStoreId, ...meta(this.counter) };
    });
    this.mock.on(GetGroupMembershipIdCommand).callsFake((input: GetGroupMembershipIdCommand['input']) => {
      const userId = input.MemberId && 'UserId' in input.MemberId ? (input.MemberId.UserId ?? '') : '';
      const membershipId = this.group(input.GroupId ?? '').get(userId);
      if (!membershipId) throw notFound('no such membership');
      return { MembershipId: membershipId, IdentityStoreId: input.IdentityStoreId, ...meta(++this.counter) };
    });
    this.mock.on(DeleteGroupMembershipCommand).callsFake((input: DeleteGroupMembershipCommand['input']) => {
      for (const members of this.groups.values()) {
        for (const [userId, id] of members) {
          if (id === input.MembershipId) {
            members.delete(userId);
            return meta(++this.counter);
          }
        }
      }
      throw notFound('no such membership');
    });
    this.mock.on(ListGroupMembershipsCommand).callsFake((input: ListGroupMembershipsCommand['input']) => ({
      GroupMemberships: [...this.group(input.GroupId ?? '').entries()].map(([UserId, MembershipId]) => ({
        MembershipId,
        GroupId: input.GroupId,
        MemberId: { UserId },
      })),
      ...meta(++this.counter),
    }));
  }

  private group(groupId: string): Map<string, string> {
    let members = this.groups.get(groupId);
    if (!members) this.groups.set(groupId, (members = new Map()));
    return members;
  }

  /** A user reachable by `email`. */
  addUser(email: string, userId: string): this {
    this.users.set(email, userId);
    return this;
  }

  /** A group reachable by `displayName`. */
  addGroup(displayName: string, groupId: string): this {
    this.names.set(displayName, groupId);
    this.group(groupId);
    return this;
  }

  /** Puts `userId` in the group behind the broker's back (a standing member). */
  putMember(groupId: string, userId: string): void {
    this.group(groupId).set(userId, `m-${++this.counter}`);
  }

  members(groupId: string): string[] {
    return [...this.group(groupId).keys()].sort();
  }

  restore(): void {
    this.mock.restore();
  }
}
