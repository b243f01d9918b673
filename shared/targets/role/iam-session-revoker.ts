import {
  DeleteRolePolicyCommand,
  GetRolePolicyCommand,
  PutRolePolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import type { AwsReceipt, RoleDenyList } from '../../domain/grant-ports.js';
import { AwsOperationError } from '../../domain/grant-ports.js';
import {
  coversRevoke,
  parsePolicyDocument,
  policyJson,
  pruneRevokes,
  REVOKE_POLICY_NAME,
  roleNameFromArn,
  withRevoke,
  type PolicyDocument,
} from '../../domain/session-policies.js';
import { awsErrorName, toOperationError } from '../../adapters/aws/aws-errors.js';

/** How often a revoke re-reads and rewrites when a concurrent writer replaced its statement. */
const MAX_WRITE_ATTEMPTS = 4;

/**
 * Early revoke of role sessions through one inline deny policy per role
 * ({@link REVOKE_POLICY_NAME}). Writing it is a read-modify-write (GetRolePolicy, then
 * PutRolePolicy): writes to one role are serialised within this process, and each revoke
 * reads the policy back and writes again if a concurrent writer (another Lambda) replaced
 * it without its statement.
 */
export class IamSessionRevoker implements RoleDenyList {
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly iam: IAMClient,
    private readonly marginSeconds?: number,
  ) {}

  denySessionsIssuedBefore(input: {
    roleArn: string;
    principal: string;
    before: Date;
    now: Date;
    maxSessionSeconds: number;
  }): Promise<AwsReceipt> {
    const roleName = roleNameFromArn(input.roleArn);
    const window = this.window(input.maxSessionSeconds);
    return this.serialised(roleName, async () => {
      const revoke = { principal: input.principal, before: input.before };
      for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
        const current = await this.read(roleName);
        const awsRequestId = await this.put(roleName, withRevoke(current, revoke, input.now, window));
        // Why: another writer may have replaced the document between our read and write.
        if (coversRevoke(await this.read(roleName), revoke)) {
          return awsRequestId === undefined ? {} : { awsRequestId };
        }
      }
      throw new AwsOperationError('iam:PutRolePolicy', `the revoke of ${roleName} did not stick`, {
        transient: true,
      });
    });
  }

  prune(input: { roleArn: string; now: Date; maxSessionSeconds: number }): Promise<{ removed: number }> {
    const roleName = roleNameFromArn(input.roleArn);
    return this.serialised(roleName, async () => {
      const current = await this.read(roleName);
      if (!current) return { removed: 0 };
      const pruned = pruneRevokes(current, input.now, this.window(input.maxSessionSeconds));
      const removed = current.Statement.length - (pruned?.Statement.length ?? 0);
      if (removed === 0) return { removed };
      if (pruned) await this.put(roleName, pruned);
      else await this.delete(roleName);
      return { removed };
    });
  }

  private window(maxSessionSeconds: number) {
    return this.marginSeconds === undefined
      ? { maxSessionSeconds }
      : { maxSessionSeconds, marginSeconds: this.marginSeconds };
  }

  private async read(roleName: string): Promise<PolicyDocument | undefined> {
    try {
      const out = await this.iam.send(
        new GetRolePolicyCommand({ RoleName: roleName, PolicyName: REVOKE_POLICY_NAME }),
      );
      // IAM returns the document URL-encoded (RFC 3986).
      return out.PolicyDocument ? parsePolicyDocument(decodeURIComponent(out.PolicyDocument)) : undefined;
    } catch (error) {
      if (isNoSuchEntity(error)) return undefined;
      throw toOperationError('iam:GetRolePolicy', error);
    }
  }

  private async put(roleName: string, document: PolicyDocument): Promise<string | undefined> {
    const text = policyJson(document);
    try {
      const out = await this.iam.send(
        new PutRolePolicyCommand({
          RoleName: roleName,
          PolicyName: REVOKE_POLICY_NAME,
          PolicyDocument: text,
        }),
      );
      return out.$metadata.requestId;
    } catch (error) {
      throw toOperationError('iam:PutRolePolicy', error);
    }
  }

  private async delete(roleName: string): Promise<void> {
    try {
      await this.iam.send(
        new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: REVOKE_POLICY_NAME }),
      );
    } catch (error) {
      if (isNoSuchEntity(error)) return;
      throw toOperationError('iam:DeleteRolePolicy', error);
    }
  }

  private serialised<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.locks.set(key, settled);
    void settled.then(() => {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    });
    return next;
  }
}

function isNoSuchEntity(error: unknown): boolean {
  const name = awsErrorName(error);
  return name === 'NoSuchEntityException' || name === 'NoSuchEntity';
}
