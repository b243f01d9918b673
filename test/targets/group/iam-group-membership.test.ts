import {
  AddUserToGroupCommand,
  GetGroupCommand,
  IAMClient,
  NoSuchEntityException,
  RemoveUserFromGroupCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { IamGroupMembership } from '../../../shared/targets/group/iam-group-membership.js';
import { AwsOperationError } from '../../../shared/domain/grant-ports.js';

const iam = mockClient(IAMClient);
const membership = () => new IamGroupMembership(new IAMClient({ region: 'us-east-1' }));

function sdkError(name: string, status: number): Error {
  return Object.assign(new Error(`${name} happened`), {
    name,
    $metadata: { httpStatusCode: status, requestId: 'aws-err-1' },
  });
}

afterEach(() => iam.reset());

describe('IamGroupMembership', () => {
  it('adds with AddUserToGroup and returns the AWS request id', async () => {
    iam.on(AddUserToGroupCommand).resolves({ $metadata: { requestId: 'aws-add-1' } });
    await expect(membership().add('jit-developers', 'alice')).resolves.toEqual({ awsRequestId: 'aws-add-1' });
    expect(iam.commandCalls(AddUserToGroupCommand).map((c) => c.args[0].input)).toEqual([
      { GroupName: 'jit-developers', UserName: 'alice' },
    ]);
  });

  it('removes with RemoveUserFromGroup', async () => {
    iam.on(RemoveUserFromGroupCommand).resolves({ $metadata: { requestId: 'aws-rm-1' } });
    await expect(membership().remove('jit-developers', 'alice')).resolves.toEqual({
      awsRequestId: 'aws-rm-1',
      wasMember: true,
    });
    expect(iam.commandCalls(RemoveUserFromGroupCommand)[0]?.args[0].input).toEqual({
      GroupName: 'jit-developers',
      UserName: 'alice',
    });
  });

  it('counts "not a member" (NoSuchEntity) as a successful removal', async () => {
    iam
      .on(RemoveUserFromGroupCommand)
      .rejects(new NoSuchEntityException({ message: 'not in group', $metadata: { requestId: 'aws-rm-2' } }));
    await expect(membership().remove('jit-developers', 'alice')).resolves.toEqual({
      awsRequestId: 'aws-rm-2',
      wasMember: false,
    });
  });

  it.each([
    { description: 'throttling is transient', name: 'Throttling', status: 400, transient: true },
    { description: 'a 5xx is transient', name: 'ServiceFailure', status: 500, transient: true },
    { description: 'access denied is permanent', name: 'AccessDenied', status: 403, transient: false },
  ])('wraps failures: $description', async ({ name, status, transient }) => {
    iam.on(AddUserToGroupCommand).rejects(sdkError(name, status));
    const error = await membership()
      .add('jit-developers', 'alice')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsOperationError);
    expect(error).toMatchObject({ operation: 'iam:AddUserToGroup', transient, awsRequestId: 'aws-err-1' });
  });

  it('lists members across GetGroup pages', async () => {
    iam
      .on(GetGroupCommand, { GroupName: 'jit-developers', Marker: undefined })
      .resolves({ Users: [user('alice')], IsTruncated: true, Marker: 'm1', Group: undefined })
      .on(GetGroupCommand, { GroupName: 'jit-developers', Marker: 'm1' })
      .resolves({ Users: [user('bob')], IsTruncated: false, Group: undefined });
    await expect(membership().listMembers('jit-developers')).resolves.toEqual(['alice', 'bob']);
  });
});

function user(name: string) {
  return {
    UserName: name,
    Path: '/',
    UserId: `id-${name}`,
    Arn: `arn:aws:iam::1:user/${name}`,
    CreateDate: new Date(),
  };
}
