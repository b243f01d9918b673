import {
  AddUserToGroupCommand,
  paginateGetGroup,
  RemoveUserFromGroupCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import type { AwsReceipt, GroupMembership } from '../../domain/grant-ports.js';
import { awsErrorName, toOperationError } from '../../adapters/aws/aws-errors.js';

/**
 * Temporary group membership with IAM. `AddUserToGroup` succeeds for an existing member;
 * `RemoveUserFromGroup` answers NoSuchEntity for a non-member (or a deleted user), which
 * counts as success: either way the person no longer holds the group.
 */
export class IamGroupMembership implements GroupMembership {
  constructor(private readonly iam: IAMClient) {}

  async add(groupName: string, userName: string): Promise<AwsReceipt> {
    try {
      const out = await this.iam.send(
        new AddUserToGroupCommand({ GroupName: groupName, UserName: userName }),
      );
      return receipt(out.$metadata.requestId);
    } catch (error) {
      throw toOperationError('iam:AddUserToGroup', error);
    }
  }

  async remove(groupName: string, userName: string): Promise<AwsReceipt & { wasMember: boolean }> {
    try {
      const out = await this.iam.send(
        new RemoveUserFromGroupCommand({ GroupName: groupName, UserName: userName }),
      );
      return { ...receipt(out.$metadata.requestId), wasMember: true };
    } catch (error) {
      if (awsErrorName(error) === 'NoSuchEntityException' || awsErrorName(error) === 'NoSuchEntity') {
        const requestId = (error as { $metadata?: { requestId?: string } }).$metadata?.requestId;
        return { ...receipt(requestId), wasMember: false };
      }
      throw toOperationError('iam:RemoveUserFromGroup', error);
    }
  }

  async listMembers(groupName: string): Promise<readonly string[]> {
    const members: string[] = [];
    try {
      for await (const page of paginateGetGroup({ client: this.iam }, { GroupName: groupName })) {
        for (const user of page.Users ?? []) if (user.UserName) members.push(user.UserName);
      }
    } catch (error) {
      throw toOperationError('iam:GetGroup', error);
    }
    return members;
  }
}

function receipt(requestId: string | undefined): AwsReceipt {
  return requestId === undefined ? {} : { awsRequestId: requestId };
}
