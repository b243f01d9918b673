import {
  GetUserIdCommand,
  IdentitystoreClient,
  ResourceNotFoundException as UserNotFound,
} from '@aws-sdk/client-identitystore';
import {
  DescribeAccountCommand,
  ListAccountsForParentCommand,
  ListChildrenCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import {
  ConflictException,
  CreateAccountAssignmentCommand,
  DeleteAccountAssignmentCommand,
  DescribeAccountAssignmentCreationStatusCommand,
  DescribeAccountAssignmentDeletionStatusCommand,
  DescribePermissionSetCommand,
  DescribePermissionSetProvisioningStatusCommand,
  ListPermissionSetsCommand,
  ProvisionPermissionSetCommand,
  ResourceNotFoundException,
  SSOAdminClient,
} from '@aws-sdk/client-sso-admin';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsOperationError } from '../../../shared/domain/grant-ports.js';
import { IdentityStoreUsers, USER_ID_TTL_MS } from '../../../shared/targets/permission-set/identity-store.js';
import { OrganizationsAccounts } from '../../../shared/targets/permission-set/organizations.js';
import {
  isoDurationSeconds,
  SsoAdminIdentityCenter,
} from '../../../shared/targets/permission-set/sso-admin.js';

const sso = mockClient(SSOAdminClient);
const ids = mockClient(IdentitystoreClient);
const orgs = mockClient(OrganizationsClient);
afterEach(() => {
  sso.reset();
  ids.reset();
  orgs.reset();
});

const INSTANCE = 'arn:aws:sso:::instance/ssoins-1111222233334444';
const SET = 'arn:aws:sso:::permissionSet/ssoins-1111222233334444/ps-aaaabbbbccccdddd';
const ASSIGNMENT = {
  instanceArn: INSTANCE,
  permissionSetArn: SET,
  accountId: '111122223333',
  userId: 'user-1',
};
const ASSIGNMENT_INPUT = {
  InstanceArn: INSTANCE,
  TargetId: '111122223333',
  TargetType: 'AWS_ACCOUNT',
  PermissionSetArn: SET,
  PrincipalType: 'USER',
  PrincipalId: 'user-1',
};
const admin = () => new SsoAdminIdentityCenter(new SSOAdminClient({ region: 'us-east-1' }));

describe('SsoAdminIdentityCenter', () => {
  it('creates an assignment for the user and reads its status once (never waits)', async () => {
    sso.on(CreateAccountAssignmentCommand).resolves({
      AccountAssignmentCreationStatus: { Status: 'IN_PROGRESS', RequestId: 'req-1' },
    });
    sso.on(DescribeAccountAssignmentCreationStatusCommand).resolves({
      AccountAssignmentCreationStatus: { Status: 'IN_PROGRESS', RequestId: 'req-1' },
      $metadata: { requestId: 'aws-1' },
    });
    await expect(admin().createAssignment(ASSIGNMENT)).resolves.toEqual({
      requestId: 'req-1',
      status: 'IN_PROGRESS',
      awsRequestId: 'aws-1',
    });
    expect(sso.commandCalls(CreateAccountAssignmentCommand).map((c) => c.args[0].input)).toEqual([
      ASSIGNMENT_INPUT,
    ]);
    expect(
      sso.commandCalls(DescribeAccountAssignmentCreationStatusCommand).map((c) => c.args[0].input),
    ).toEqual([{ InstanceArn: INSTANCE, AccountAssignmentCreationRequestId: 'req-1' }]);
  });

  it('reports a FAILED creation with its reason', async () => {
    sso.on(CreateAccountAssignmentCommand).resolves({
      AccountAssignmentCreationStatus: {
        Status: 'FAILED',
        RequestId: 'req-2',
        FailureReason: 'no such account',
      },
    });
    await expect(admin().createAssignment(ASSIGNMENT)).resolves.toMatchObject({
      status: 'FAILED',
      failureReason: 'no such account',
    });
    expect(sso.commandCalls(DescribeAccountAssignmentCreationStatusCommand)).toHaveLength(0);
  });

  it('deletes with DeleteAccountAssignment; an assignment already gone counts as gone; a conflict is transient', async () => {
    sso.on(DeleteAccountAssignmentCommand).resolves({
      AccountAssignmentDeletionStatus: { Status: 'IN_PROGRESS', RequestId: 'del-1' },
    });
    sso.on(DescribeAccountAssignmentDeletionStatusCommand).resolves({
      AccountAssignmentDeletionStatus: { Status: 'SUCCEEDED', RequestId: 'del-1' },
    });
    await expect(admin().deleteAssignment(ASSIGNMENT)).resolves.toMatchObject({ status: 'SUCCEEDED' });
    expect(sso.commandCalls(DeleteAccountAssignmentCommand)[0]?.args[0].input).toEqual(ASSIGNMENT_INPUT);
    expect(sso.commandCalls(DescribeAccountAssignmentDeletionStatusCommand)[0]?.args[0].input).toEqual({
      InstanceArn: INSTANCE,
      AccountAssignmentDeletionRequestId: 'del-1',
    });

    sso.reset();

    sso
      .on(DeleteAccountAssignmentCommand)
      .rejects(new ResourceNotFoundException({ message: 'gone', $metadata: { httpStatusCode: 404 } }));
    await expect(admin().deleteAssignment(ASSIGNMENT)).resolves.toEqual({ gone: true });

    sso.reset();

    sso
      .on(DeleteAccountAssignmentCommand)
      .rejects(new ConflictException({ message: 'busy', $metadata: { httpStatusCode: 409 } }));
    const error = await admin()
      .deleteAssignment(ASSIGNMENT)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsOperationError);
    expect(error).toMatchObject({ transient: true, operation: 'sso:DeleteAccountAssignment' });
  });

  it('provisions the set to one account, and says so when it is not provisioned there', async () => {
    sso.on(ProvisionPermissionSetCommand).resolves({
      PermissionSetProvisioningStatus: { Status: 'IN_PROGRESS', RequestId: 'prov-1' },
    });
    sso.on(DescribePermissionSetProvisioningStatusCommand).resolves({
      PermissionSetProvisioningStatus: { Status: 'SUCCEEDED', RequestId: 'prov-1' },
    });
    await expect(admin().provision(INSTANCE, SET, '111122223333')).resolves.toMatchObject({
      status: 'SUCCEEDED',
    });
    expect(sso.commandCalls(ProvisionPermissionSetCommand)[0]?.args[0].input).toEqual({
      InstanceArn: INSTANCE,
      PermissionSetArn: SET,
      TargetId: '111122223333',
      TargetType: 'AWS_ACCOUNT',
    });
    sso.reset();
    sso
      .on(ProvisionPermissionSetCommand)
      .rejects(
        new ResourceNotFoundException({ message: 'not provisioned', $metadata: { httpStatusCode: 404 } }),
      );
    await expect(admin().provision(INSTANCE, SET, '111122223333')).resolves.toEqual({ notProvisioned: true });
  });

  it('resolves a permission set by name (and remembers it), with its session duration', async () => {
    sso.on(ListPermissionSetsCommand).resolves({ PermissionSets: [SET, `${SET}x`] });
    sso.on(DescribePermissionSetCommand, { PermissionSetArn: SET }).resolves({
      PermissionSet: { PermissionSetArn: SET, Name: 'Admin', SessionDuration: 'PT2H' },
    });
    const identityCenter = admin();
    await expect(identityCenter.permissionSet(INSTANCE, 'Admin')).resolves.toEqual({
      arn: SET,
      name: 'Admin',
      sessionDurationSeconds: 7200,
    });
    await identityCenter.permissionSet(INSTANCE, 'Admin');
    expect(sso.commandCalls(ListPermissionSetsCommand)).toHaveLength(1);
    expect(isoDurationSeconds('PT1H30M')).toBe(5400);
    expect(isoDurationSeconds('P1D')).toBeUndefined();
  });
});

describe('IdentityStoreUsers', () => {
  it('finds a user by primary email, falls back to the user name, and caches within the TTL', async () => {
    let now = 0;
    ids
      .on(GetUserIdCommand, {
        AlternateIdentifier: {
          UniqueAttribute: { AttributePath: 'emails.value', AttributeValue: 'alice@example.com' },
        },
      })
      .resolves({ UserId: 'user-alice' });
    ids
      .on(GetUserIdCommand, {
        AlternateIdentifier: {
          UniqueAttribute: { AttributePath: 'emails.value', AttributeValue: 'bob@example.com' },
        },
      })
      .rejects(new UserNotFound({ message: 'no', $metadata: { httpStatusCode: 404 } }));
    ids
      .on(GetUserIdCommand, {
        AlternateIdentifier: {
          UniqueAttribute: { AttributePath: 'userName', AttributeValue: 'bob@example.com' },
        },
      })
      .resolves({ UserId: 'user-bob' });
    const users = new IdentityStoreUsers(new IdentitystoreClient({ region: 'us-east-1' }), () => now);
    await expect(users.userIdOf('d-1234567890', 'alice@example.com')).resolves.toBe('user-alice');
    await expect(users.userIdOf('d-1234567890', 'bob@example.com')).resolves.toBe('user-bob');
    expect(ids.commandCalls(GetUserIdCommand)[0]?.args[0].input).toEqual({
      IdentityStoreId: 'd-1234567890',
      AlternateIdentifier: {
        UniqueAttribute: { AttributePath: 'emails.value', AttributeValue: 'alice@example.com' },
      },
    });
    await users.userIdOf('d-1234567890', 'alice@example.com');
    expect(ids.commandCalls(GetUserIdCommand)).toHaveLength(3);
    now += USER_ID_TTL_MS + 1;
    await users.userIdOf('d-1234567890', 'alice@example.com');
    expect(ids.commandCalls(GetUserIdCommand)).toHaveLength(4);
  });

  it('answers undefined when nobody matches', async () => {
    ids.on(GetUserIdCommand).rejects(new UserNotFound({ message: 'no', $metadata: { httpStatusCode: 404 } }));
    const users = new IdentityStoreUsers(new IdentitystoreClient({ region: 'us-east-1' }));
    await expect(users.userIdOf('d-1234567890', 'nobody')).resolves.toBeUndefined();
  });
});

describe('OrganizationsAccounts', () => {
  it('lists the active accounts of an OU and, when nested, of its child OUs', async () => {
    orgs.on(ListAccountsForParentCommand, { ParentId: 'ou-root-aaaaaaaa' }).resolves({
      Accounts: [
        { Id: '111111111111', Name: 'prod', State: 'ACTIVE' },
        { Id: '999999999999', Name: 'closed', State: 'SUSPENDED' },
      ],
    });
    orgs.on(ListAccountsForParentCommand, { ParentId: 'ou-root-bbbbbbbb' }).resolves({
      Accounts: [{ Id: '222222222222', Name: 'staging', State: 'ACTIVE' }],
    });
    orgs.on(ListChildrenCommand, { ParentId: 'ou-root-aaaaaaaa' }).resolves({
      Children: [{ Id: 'ou-root-bbbbbbbb', Type: 'ORGANIZATIONAL_UNIT' }],
    });
    orgs.on(ListChildrenCommand, { ParentId: 'ou-root-bbbbbbbb' }).resolves({ Children: [] });
    const org = new OrganizationsAccounts(new OrganizationsClient({ region: 'us-east-1' }));
    await expect(org.accountsUnder('ou-root-aaaaaaaa', false)).resolves.toEqual([
      { id: '111111111111', name: 'prod' },
    ]);
    await expect(org.accountsUnder('ou-root-aaaaaaaa', true)).resolves.toEqual([
      { id: '111111111111', name: 'prod' },
      { id: '222222222222', name: 'staging' },
    ]);
    expect(orgs.commandCalls(ListChildrenCommand)[0]?.args[0].input).toEqual({
      ParentId: 'ou-root-aaaaaaaa',
      ChildType: 'ORGANIZATIONAL_UNIT',
    });
    orgs.on(DescribeAccountCommand).resolves({ Account: { Id: '111111111111', Name: 'prod' } });
    await expect(org.nameOf('111111111111')).resolves.toBe('prod');
  });
});
