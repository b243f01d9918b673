import {
  CreateAccountAssignmentCommand,
  DeleteAccountAssignmentCommand,
  DeleteInlinePolicyFromPermissionSetCommand,
  DescribeAccountAssignmentCreationStatusCommand,
  DescribeAccountAssignmentDeletionStatusCommand,
  DescribePermissionSetCommand,
  DescribePermissionSetProvisioningStatusCommand,
  GetInlinePolicyForPermissionSetCommand,
  paginateListPermissionSets,
  ProvisionPermissionSetCommand,
  PutInlinePolicyToPermissionSetCommand,
  type SSOAdminClient,
} from '@aws-sdk/client-sso-admin';
import { AwsOperationError, type AwsReceipt } from '../../domain/grant-ports.js';
import { awsErrorName, toOperationError } from '../../adapters/aws/aws-errors.js';
import { PERMISSION_SET_ARN } from './kind.js';
import type {
  Assignment,
  IdentityCenterAdmin,
  OperationState,
  OperationStatus,
  PermissionSetInfo,
} from './ports.js';

/** The session duration Identity Center gives a permission set that names none (one hour). */
const DEFAULT_SESSION_SECONDS = 3_600;

/** How long a permission set looked up by name or ARN is remembered (names rarely change). */
const PERMISSION_SET_TTL_MS = 10 * 60_000;

interface StatusShape {
  readonly Status?: string;
  readonly RequestId?: string;
  readonly FailureReason?: string;
}

function stateOf(status: StatusShape | undefined, awsRequestId: string | undefined): OperationState {
  const known: readonly OperationStatus[] = ['IN_PROGRESS', 'SUCCEEDED', 'FAILED'];
  const value = (status?.Status ?? 'IN_PROGRESS') as OperationStatus;
  return {
    requestId: status?.RequestId ?? '',
    status: known.includes(value) ? value : 'IN_PROGRESS',
    ...(status?.FailureReason === undefined ? {} : { failureReason: status.FailureReason }),
    ...(awsRequestId === undefined ? {} : { awsRequestId }),
  };
}

/**
 * An SDK error as an AwsOperationError. ConflictException (another operation on the same
 * assignment or permission set still running) is transient: the next delivery tries again.
 */
function operationError(operation: string, error: unknown): AwsOperationError {
  const wrapped = toOperationError(operation, error);
  if (awsErrorName(error) !== 'ConflictException' || wrapped.transient) return wrapped;
  return new AwsOperationError(operation, wrapped.message, {
    transient: true,
    ...(wrapped.awsRequestId === undefined ? {} : { awsRequestId: wrapped.awsRequestId }),
    cause: error,
  });
}

/** The AWS request id of an SDK answer (absent from a stubbed one). */
function requestIdOf(out: object): string | undefined {
  return (out as { $metadata?: { requestId?: string } }).$metadata?.requestId;
}

/** `PT1H30M` as seconds (ISO-8601 durations as Identity Center writes them). */
export function isoDurationSeconds(text: string | undefined): number | undefined {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/.exec(text ?? '');
  if (!m || (!m[1] && !m[2] && !m[3])) return undefined;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/**
 * Identity Center administration with the sso-admin API. Each asynchronous step is started and
 * its status read once (never waited for): the grant worker asks again on a later delivery.
 */
export class SsoAdminIdentityCenter implements IdentityCenterAdmin {
  private readonly sets = new Map<
    string,
    { readonly info: PermissionSetInfo | undefined; readonly until: number }
  >();

  constructor(
    private readonly sso: SSOAdminClient,
    private readonly now: () => number = Date.now,
  ) {}

  async createAssignment(a: Assignment): Promise<OperationState> {
    let started: OperationState;
    try {
      const out = await this.sso.send(new CreateAccountAssignmentCommand(assignmentInput(a)));
      started = stateOf(out.AccountAssignmentCreationStatus, requestIdOf(out));
    } catch (error) {
      throw operationError('sso:CreateAccountAssignment', error);
    }
    if (started.status !== 'IN_PROGRESS' || started.requestId === '') return started;
    try {
      const out = await this.sso.send(
        new DescribeAccountAssignmentCreationStatusCommand({
          InstanceArn: a.instanceArn,
          AccountAssignmentCreationRequestId: started.requestId,
        }),
      );
      return stateOf(out.AccountAssignmentCreationStatus, requestIdOf(out));
    } catch (error) {
      throw operationError('sso:DescribeAccountAssignmentCreationStatus', error);
    }
  }

  async deleteAssignment(a: Assignment): Promise<OperationState | { readonly gone: true }> {
    let started: OperationState;
    try {
      const out = await this.sso.send(new DeleteAccountAssignmentCommand(assignmentInput(a)));
      started = stateOf(out.AccountAssignmentDeletionStatus, requestIdOf(out));
    } catch (error) {
      // No such assignment: the access is gone either way.
      if (awsErrorName(error) === 'ResourceNotFoundException') return { gone: true };
      throw operationError('sso:DeleteAccountAssignment', error);
    }
    if (started.status !== 'IN_PROGRESS' || started.requestId === '') return started;
    try {
      const out = await this.sso.send(
        new DescribeAccountAssignmentDeletionStatusCommand({
          InstanceArn: a.instanceArn,
          AccountAssignmentDeletionRequestId: started.requestId,
        }),
      );
      return stateOf(out.AccountAssignmentDeletionStatus, requestIdOf(out));
    } catch (error) {
      throw operationError('sso:DescribeAccountAssignmentDeletionStatus', error);
    }
  }

  async permissionSet(instanceArn: string, arnOrName: string): Promise<PermissionSetInfo | undefined> {
    const key = `${instanceArn} ${arnOrName}`;
    const cached = this.sets.get(key);
    if (cached && cached.until > this.now()) return cached.info;
    const info = PERMISSION_SET_ARN.test(arnOrName)
      ? await this.describe(instanceArn, arnOrName)
      : await this.findByName(instanceArn, arnOrName);
    this.sets.set(key, { info, until: this.now() + PERMISSION_SET_TTL_MS });
    return info;
  }

  private async describe(instanceArn: string, arn: string): Promise<PermissionSetInfo | undefined> {
    try {
      const out = await this.sso.send(
        new DescribePermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn: arn }),
      );
      const set = out.PermissionSet;
      if (!set?.PermissionSetArn) return undefined;
      return {
        arn: set.PermissionSetArn,
        name: set.Name ?? set.PermissionSetArn,
        sessionDurationSeconds: isoDurationSeconds(set.SessionDuration) ?? DEFAULT_SESSION_SECONDS,
      };
    } catch (error) {
      if (awsErrorName(error) === 'ResourceNotFoundException') return undefined;
      throw operationError('sso:DescribePermissionSet', error);
    }
  }

  private async findByName(instanceArn: string, name: string): Promise<PermissionSetInfo | undefined> {
    try {
      for await (const page of paginateListPermissionSets(
        { client: this.sso },
        { InstanceArn: instanceArn },
      )) {
        for (const arn of page.PermissionSets ?? []) {
          const info = await this.describe(instanceArn, arn);
          if (info?.name === name) return info;
        }
      }
    } catch (error) {
      if (error instanceof AwsOperationError) throw error;
      throw operationError('sso:ListPermissionSets', error);
    }
    return undefined;
  }

  async inlinePolicy(instanceArn: string, permissionSetArn: string): Promise<string | undefined> {
    try {
      const out = await this.sso.send(
        new GetInlinePolicyForPermissionSetCommand({
          InstanceArn: instanceArn,
          PermissionSetArn: permissionSetArn,
        }),
      );
      return out.InlinePolicy === undefined || out.InlinePolicy === '' ? undefined : out.InlinePolicy;
    } catch (error) {
      throw operationError('sso:GetInlinePolicyForPermissionSet', error);
    }
  }

  async putInlinePolicy(
    instanceArn: string,
    permissionSetArn: string,
    document: string | undefined,
  ): Promise<AwsReceipt> {
    try {
      const out =
        document === undefined
          ? await this.sso.send(
              new DeleteInlinePolicyFromPermissionSetCommand({
                InstanceArn: instanceArn,
                PermissionSetArn: permissionSetArn,
              }),
            )
          : await this.sso.send(
              new PutInlinePolicyToPermissionSetCommand({
                InstanceArn: instanceArn,
                PermissionSetArn: permissionSetArn,
                InlinePolicy: document,
              }),
            );
      const awsRequestId = requestIdOf(out);
      return awsRequestId === undefined ? {} : { awsRequestId };
    } catch (error) {
      throw operationError(
        document === undefined
          ? 'sso:DeleteInlinePolicyFromPermissionSet'
          : 'sso:PutInlinePolicyToPermissionSet',
        error,
      );
    }
  }

  async provision(
    instanceArn: string,
    permissionSetArn: string,
    accountId: string,
  ): Promise<OperationState | { readonly notProvisioned: true }> {
    let started: OperationState;
    try {
      const out = await this.sso.send(
        new ProvisionPermissionSetCommand({
          InstanceArn: instanceArn,
          PermissionSetArn: permissionSetArn,
          TargetId: accountId,
          TargetType: 'AWS_ACCOUNT',
        }),
      );
      started = stateOf(out.PermissionSetProvisioningStatus, requestIdOf(out));
    } catch (error) {
      // Not provisioned in that account: no role there, so no session to seal.
      if (awsErrorName(error) === 'ResourceNotFoundException') return { notProvisioned: true };
      throw operationError('sso:ProvisionPermissionSet', error);
    }
    if (started.status !== 'IN_PROGRESS' || started.requestId === '') return started;
    try {
      const out = await this.sso.send(
        new DescribePermissionSetProvisioningStatusCommand({
          InstanceArn: instanceArn,
          ProvisionPermissionSetRequestId: started.requestId,
        }),
      );
      return stateOf(out.PermissionSetProvisioningStatus, requestIdOf(out));
    } catch (error) {
      throw operationError('sso:DescribePermissionSetProvisioningStatus', error);
    }
  }
}

/** The account assignment of `a` as Create/DeleteAccountAssignment name it (a user in one account). */
function assignmentInput(a: Assignment) {
  return {
    InstanceArn: a.instanceArn,
    TargetId: a.accountId,
    TargetType: 'AWS_ACCOUNT' as const,
    PermissionSetArn: a.permissionSetArn,
    PrincipalType: 'USER' as const,
    PrincipalId: a.userId,
  };
}
