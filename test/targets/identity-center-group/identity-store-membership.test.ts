import {
  ConflictException,
  CreateGroupMembershipCommand,
  DeleteGroupMembershipCommand,
  GetGroupIdCommand,
  GetGroupMembershipIdCommand,
  IdentitystoreClient,
  ListGroupMembershipsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-identitystore';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsOperationError } from '../../../shared/domain/grant-ports.js';
import { IdentityStoreGroupMembership } from '../../../shared/targets/identity-center-group/identity-store-membership.js';

const ids = mockClient(IdentitystoreClient);
const STORE = 'd-1234567890';
const GROUP = { identityStoreId: STORE, groupId: 'g-1' };
const membership = () => new IdentityStoreGroupMembership(new IdentitystoreClient({ region: 'us-east-1' }));
const inputs = <T extends object>(command: new (input: T) => unknown) =>
  ids.commandCalls(command as never).map((c) => (c.args[0] as { input: unknown }).input);

afterEach(() => ids.reset());

describe('IdentityStoreGroupMembership', () => {
  it('adds with CreateGroupMembership (GroupId, MemberId.UserId)', async () => {
    ids
      .on(CreateGroupMembershipCommand)
      .resolves({ MembershipId: 'm-1', IdentityStoreId: STORE, $metadata: { requestId: 'r-1' } });
    await expect(membership().add(GROUP, 'u-1')).resolves.toEqual({
      awsRequestId: 'r-1',
      membershipId: 'm-1',
    });
    expect(inputs(CreateGroupMembershipCommand)).toEqual([
      { IdentityStoreId: STORE, GroupId: 'g-1', MemberId: { UserId: 'u-1' } },
    ]);
  });

  it('counts an existing member (ConflictException) as added and looks its membership up', async () => {
    ids.on(CreateGroupMembershipCommand).rejects(new ConflictException({ message: 'exists', $metadata: {} }));
    ids
      .on(GetGroupMembershipIdCommand)
      .resolves({ MembershipId: 'm-9', IdentityStoreId: STORE, $metadata: {} });
    await expect(membership().add(GROUP, 'u-1')).resolves.toMatchObject({ membershipId: 'm-9' });
    expect(inputs(GetGroupMembershipIdCommand)).toEqual([
      { IdentityStoreId: STORE, GroupId: 'g-1', MemberId: { UserId: 'u-1' } },
    ]);
  });

  it('removes by finding the membership id, then DeleteGroupMembership', async () => {
    ids
      .on(GetGroupMembershipIdCommand)
      .resolves({ MembershipId: 'm-2', IdentityStoreId: STORE, $metadata: {} });
    ids.on(DeleteGroupMembershipCommand).resolves({ $metadata: { requestId: 'r-2' } });
    await expect(membership().remove(GROUP, 'u-1')).resolves.toEqual({
      awsRequestId: 'r-2',
      wasMember: true,
    });
    expect(inputs(DeleteGroupMembershipCommand)).toEqual([{ IdentityStoreId: STORE, MembershipId: 'm-2' }]);
  });

  it('counts "not a member" as removed without deleting anything', async () => {
    ids
      .on(GetGroupMembershipIdCommand)
      .rejects(new ResourceNotFoundException({ message: 'none', $metadata: {} }));
    await expect(membership().remove(GROUP, 'u-1')).resolves.toEqual({ wasMember: false });
    expect(ids.commandCalls(DeleteGroupMembershipCommand)).toHaveLength(0);
  });

  it('resolves a display name with GetGroupId once (cached) and lists members as UserIds', async () => {
    ids.on(GetGroupIdCommand).resolves({ GroupId: 'g-7', IdentityStoreId: STORE, $metadata: {} });
    ids.on(ListGroupMembershipsCommand).resolves({
      GroupMemberships: [
        { IdentityStoreId: STORE, MemberId: { UserId: 'u-1' } },
        { IdentityStoreId: STORE, MemberId: { UserId: 'u-2' } },
      ],
      $metadata: {},
    });
    const adapter = membership();
    const byName = { identityStoreId: STORE, groupDisplayName: 'Prod Operators' };
    await expect(adapter.listMembers(byName)).resolves.toEqual(['u-1', 'u-2']);
    await adapter.listMembers(byName);
    expect(inputs(GetGroupIdCommand)).toEqual([
      {
        IdentityStoreId: STORE,
        AlternateIdentifier: {
          UniqueAttribute: { AttributePath: 'displayName', AttributeValue: 'Prod Operators' },
        },
      },
    ]);
    expect(inputs(ListGroupMembershipsCommand)[0]).toEqual({ IdentityStoreId: STORE, GroupId: 'g-7' });
  });

  it('wraps other failures with their operation and whether to retry', async () => {
    ids.on(CreateGroupMembershipCommand).rejects(
      Object.assign(new Error('denied'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const error = await membership()
      .add(GROUP, 'u-1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsOperationError);
    expect(error).toMatchObject({ operation: 'identitystore:CreateGroupMembership', transient: false });
  });
});
