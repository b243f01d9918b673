import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { IAMClient } from '@aws-sdk/client-iam';
import { toOperationError } from '../../adapters/aws/aws-errors.js';
import type { AwsCredentialsProvider } from '../../adapters/aws/clients.js';
import type { GroupMembership } from '../../domain/grant-ports.js';
import { IamGroupMembership } from './iam-group-membership.js';

/** Group membership in a member account, through that account's agent role. */
export type MemberAccountGroups = (account: string, agentRoleName: string) => GroupMembership;

export interface AgentRoleOptions {
  /** STS client of the broker's own credentials (AssumeRole is sent with it). */
  readonly sts: STSClient;
  /** Builds an IAM client signing with the given credentials (clients.ts createIamClient). */
  readonly iamClient: (credentials: AwsCredentialsProvider) => IAMClient;
  /** Names the broker in CloudTrail of the member account, like `jit-broker-worker`. */
  readonly sessionName: string;
  /** The broker's partition (default `aws`). */
  readonly partition?: string;
  /** Milliseconds now (tests). */
  readonly now?: () => number;
}

/** Assumed credentials are renewed this long before they expire. */
const RENEW_BEFORE_MS = 5 * 60_000;

/**
 * IAM group membership in member accounts: AssumeRole on `arn:<partition>:iam::<account>:role/<agentRoleName>`
 * with a session name naming the broker, then the same IAM calls as in the broker's own
 * account with those credentials. One IAM client and one cached session per account and role.
 */
export function agentRoleGroups(options: AgentRoleOptions): MemberAccountGroups {
  const byRole = new Map<string, GroupMembership>();
  return (account, agentRoleName) => {
    const roleArn = agentRoleArn(options, account, agentRoleName);
    const known = byRole.get(roleArn);
    if (known) return known;
    const groups = new IamGroupMembership(
      options.iamClient(agentRoleCredentials(options, account, agentRoleName)),
    );
    byRole.set(roleArn, groups);
    return groups;
  };
}

function agentRoleArn(options: Pick<AgentRoleOptions, 'partition'>, account: string, agentRoleName: string) {
  return `arn:${options.partition ?? 'aws'}:iam::${account}:role/${agentRoleName}`;
}

/**
 * The credentials of a member account's agent role (AssumeRole with the broker's session
 * name, 15 minutes), cached and renewed {@link RENEW_BEFORE_MS} before they expire. Also used
 * by the activity lookups (CloudTrail LookupEvents reads only the caller's own account).
 */
export function agentRoleCredentials(
  options: Pick<AgentRoleOptions, 'sts' | 'sessionName' | 'partition' | 'now'>,
  account: string,
  agentRoleName: string,
): AwsCredentialsProvider {
  const roleArn = agentRoleArn(options, account, agentRoleName);
  const now = options.now ?? Date.now;
  let session: Awaited<ReturnType<AwsCredentialsProvider>> | undefined;
  return async () => {
    if (session?.expiration && session.expiration.getTime() - RENEW_BEFORE_MS > now()) return session;
    try {
      const out = await options.sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: options.sessionName,
          DurationSeconds: 900,
        }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey)
        throw new Error(`AssumeRole on ${roleArn} returned no credentials`);
      session = {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
        ...(c.Expiration ? { expiration: c.Expiration } : {}),
      };
      return session;
    } catch (error) {
      throw toOperationError('sts:AssumeRole', error);
    }
  };
}
