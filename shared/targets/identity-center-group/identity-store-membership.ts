import {
  CreateGroupMembershipCommand,
  DeleteGroupMembershipCommand,
  GetGroupIdCommand,
  GetGroupMembershipIdCommand,
  paginateListGroupMemberships,
  type IdentitystoreClient,
} from '@aws-sdk/client-identitystore';
import { awsErrorName, toOperationError } from '../../adapters/aws/aws-errors.js';
import type { AwsReceipt } from '../../domain/grant-ports.js';

/** A group in an identity store, by id or display name (as the policy names it). */
export interface StoreGroupRef {
  readonly identityStoreId: string;
  readonly groupId?: string;
  readonly groupDisplayName?: string;
}

/** Temporary membership of Identity Center groups (the port the driver uses). */
export interface IdentityCenterGroupMembership {
  /** Adds `userId` to the group; already a member counts as success (its membership id is returned). */
  add(group: StoreGroupRef, userId: string): Promise<AwsReceipt & { readonly membershipId: string }>;
  /** Removes `userId` from the group; not a member counts as success. */
  remove(group: StoreGroupRef, userId: string): Promise<AwsReceipt & { readonly wasMember: boolean }>;
  /** The UserIds in the group (for the drift reconciler). */
  listMembers(group: StoreGroupRef): Promise<readonly string[]>;
}

function receipt(requestId: string | undefined): AwsReceipt {
  return requestId === undefined ? {} : { awsRequestId: requestId };
}

function requestIdOf(error: unknown): string | undefined {
  return (error as { $metadata?: { requestId?: string } }).$metadata?.requestId;
}

/**
 * Identity Center group membership through the Identity Store API. `CreateGroupMembership`
 * answers ConflictException for an existing member (then `GetGroupMembershipId` finds the
 * membership); `DeleteGroupMembership` needs the membership id, found the same way, and a
 * membership already gone (ResourceNotFound) counts as removed. Group display names are
 * resolved with `GetGroupId` and cached for `groupTtlMs`.
 */
export class IdentityStoreGroupMembership implements IdentityCenterGroupMembership {
  private readonly groupIds = new Map<string, { groupId: string; until: number }>();

  constructor(
    private readonly identityStore: IdentitystoreClient,
    private readonly options: { readonly groupTtlMs?: number; readonly now?: () => number } = {},
  ) {}

  async add(group: StoreGroupRef, userId: string): Promise<AwsReceipt & { readonly membershipId: string }> {
    const groupId = await this.groupIdOf(group);
    try {
      const out = await this.identityStore.send(
        new CreateGroupMembershipCommand({
          IdentityStoreId: group.identityStoreId,
          GroupId: groupId,
          MemberId: { UserId: userId },
        }),
      );
      return { ...receipt(out.$metadata.requestId), membershipId: out.MembershipId ?? '' };
    } catch (error) {
      if (awsErrorName(error) !== 'ConflictException') {
        throw toOperationError('identitystore:CreateGroupMembership', error);
      }
      // Already a member (or a concurrent add won): the membership that exists is ours to report.
      const found = await this.membershipIdOf(group.identityStoreId, groupId, userId);
      if (found === undefined) throw toOperationError('identitystore:CreateGroupMembership', error);
      return { ...receipt(requestIdOf(error)), membershipId: found };
    }
  }

  async remove(group: StoreGroupRef, userId: string): Promise<AwsReceipt & { readonly wasMember: boolean }> {
    const groupId = await this.groupIdOf(group);
    const membershipId = await this.membershipIdOf(group.identityStoreId, groupId, userId);
    if (membershipId === undefined) return { wasMember: false };
    try {
      const out = await this.identityStore.send(
        new DeleteGroupMembershipCommand({
          IdentityStoreId: group.identityStoreId,
          MembershipId: membershipId,
        }),
      );
      return { ...receipt(out.$metadata.requestId), wasMember: true };
    } catch (error) {
      if (awsErrorName(error) === 'ResourceNotFoundException') {
        return { ...receipt(requestIdOf(error)), wasMember: false };
      }
      throw toOperationError('identitystore:DeleteGroupMembership', error);
    }
  }

  async listMembers(group: StoreGroupRef): Promise<readonly string[]> {
    const groupId = await this.groupIdOf(group);
    const members: string[] = [];
    try {
      const pages = paginateListGroupMemberships(
        { client: this.identityStore },
        { IdentityStoreId: group.identityStoreId, GroupId: groupId },
      );
      for await (const page of pages) {
        for (const m of page.GroupMemberships ?? []) {
          const id = m.MemberId && 'UserId' in m.MemberId ? m.MemberId.UserId : undefined;
          if (id) members.push(id);
        }
      }
    } catch (error) {
      throw toOperationError('identitystore:ListGroupMemberships', error);
    }
    return members;
  }

  /** The membership id of `userId` in the group, or undefined when they are not a member. */
  private async membershipIdOf(identityStoreId: string, groupId: string, userId: string) {
    try {
      const out = await this.identityStore.send(
        new GetGroupMembershipIdCommand({
          IdentityStoreId: identityStoreId,
          GroupId: groupId,
          MemberId: { UserId: userId },
        }),
      );
      return out.MembershipId;
    } catch (error) {
      if (awsErrorName(error) === 'ResourceNotFoundException') return undefined;
      throw toOperationError('identitystore:GetGroupMembershipId', error);
    }
  }

  /** The GroupId the policy names, resolving a display name with `GetGroupId` (cached). */
  async groupIdOf(group: StoreGroupRef): Promise<string> {
    if (group.groupId !== undefined) return group.groupId;
    const name = group.groupDisplayName ?? '';
    const key = `${group.identityStoreId}#${name}`;
    const now = (this.options.now ?? Date.now)();
    const cached = this.groupIds.get(key);
    if (cached && cached.until > now) return cached.groupId;
    try {
      const out = await this.identityStore.send(
        new GetGroupIdCommand({
          IdentityStoreId: group.identityStoreId,
          AlternateIdentifier: { UniqueAttribute: { AttributePath: 'displayName', AttributeValue: name } },
        }),
      );
      if (!out.GroupId) throw new Error(`GetGroupId returned no GroupId for "${name}"`);
      this.groupIds.set(key, { groupId: out.GroupId, until: now + (this.options.groupTtlMs ?? 15 * 60_000) });
      return out.GroupId;
    } catch (error) {
      throw toOperationError('identitystore:GetGroupId', error);
    }
  }
}
