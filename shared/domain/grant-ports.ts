import { BrokerError } from './errors.js';
import type { Partition } from './partition.js';
import type { PolicyDocument, SessionTag } from './session-policies.js';

/**
 * Ports of the grant side: the AWS work of giving and taking access. Adapters in
 * the target drivers (`shared/targets/<kind>/`) and `shared/adapters/aws` implement them with IAM, STS and the federation endpoint; tests use
 * the fakes in test/support/fake-aws.ts. Every method that changes AWS is idempotent, so a
 * retry after a crash or a lost reply is always safe.
 */

/** What an AWS call returned that belongs in the audit trail. */
export interface AwsReceipt {
  /** `$metadata.requestId` of the call, when AWS gave one. */
  readonly awsRequestId?: string;
}

/** Temporary IAM group membership on the groups the broker manages. */
export interface GroupMembership {
  /** Adds `userName` to `groupName`. Already a member counts as success. */
  add(groupName: string, userName: string): Promise<AwsReceipt>;
  /**
   * Removes `userName` from `groupName`. Not a member (or no such user any more) counts as
   * success: the access is gone either way.
   */
  remove(groupName: string, userName: string): Promise<AwsReceipt & { readonly wasMember: boolean }>;
  /** The IAM user names in `groupName` (for the drift reconciler). */
  listMembers(groupName: string): Promise<readonly string[]>;
}

/**
 * Puts back the group membership of a live grant that an overlapping grant's end took away
 * (the race between the coverage check and RemoveUserFromGroup). Only a function allowed to
 * add members may do it: the grant worker does it at once, the sweeper (which may only
 * remove) hands it to the worker as a `restore-membership` job.
 */
export interface MembershipRepairs {
  /**
   * Asks for the membership of grant `requestId` to be restored. Resolves once the repair is
   * done or durably queued; the repair itself re-reads the grant and adds only while it is live.
   */
  restore(requestId: string): Promise<void>;
}

/** Raw STS credentials of one role session. Never stored, never logged. */
export interface SessionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** Everything an AssumeRole call for a grant carries (built by the domain, sent as is). */
export interface SessionRequest {
  readonly roleArn: string;
  readonly roleSessionName: string;
  /** The requester's AWS identity: CloudTrail names this person on every action. */
  readonly sourceIdentity: string;
  readonly durationSeconds: number;
  readonly tags: readonly SessionTag[];
  readonly policy: PolicyDocument;
}

/** Mints role sessions (STS AssumeRole). */
export interface SessionVendor {
  assumeRole(request: SessionRequest): Promise<AwsReceipt & { readonly credentials: SessionCredentials }>;
}

/**
 * Ends live role sessions early. One inline deny policy per role holds one statement per
 * revoked person; statements are pruned once no session they cover can still be valid.
 */
export interface RoleDenyList {
  /**
   * Denies every session of `principal` on the role issued before `before` (a later revoke
   * of the same person moves the time forward). Resolves only once IAM accepted the policy.
   */
  denySessionsIssuedBefore(input: {
    readonly roleArn: string;
    readonly principal: string;
    readonly before: Date;
    readonly now: Date;
    readonly maxSessionSeconds: number;
  }): Promise<AwsReceipt>;
  /** Drops statements that can no longer matter; deletes the policy when none is left. */
  prune(input: {
    readonly roleArn: string;
    readonly now: Date;
    readonly maxSessionSeconds: number;
  }): Promise<{ readonly removed: number }>;
}

/** Makes an AWS console sign-in link from session credentials (the federation endpoint). */
export interface ConsoleLinkMaker {
  /** `partition` picks the sign-in and console hosts (the commercial partition when absent). */
  signInUrl(credentials: SessionCredentials, options?: { readonly partition?: Partition }): Promise<string>;
}

/** Counters the infrastructure alarms on. */
export type GrantMetricName =
  | 'GrantsActivated'
  | 'GrantFailures'
  | 'GrantsRevoked'
  | 'GrantsExpired'
  | 'RevokeFailures'
  | 'SessionsIssued'
  | 'DriftDetected'
  | 'DriftRemoved';

/** Metrics (CloudWatch via Powertools in AWS). */
export interface GrantMetrics {
  count(name: GrantMetricName, value?: number): void;
}

/**
 * An AWS call of the grant side failed. `transient` says whether trying again later may
 * succeed (throttling, a 5xx, a network error) or not (no such user, access denied...).
 */
export class AwsOperationError extends BrokerError {
  static {
    this.prototype.name = 'AwsOperationError';
  }

  readonly operation: string;
  readonly transient: boolean;
  readonly awsRequestId?: string;
  constructor(
    operation: string,
    message: string,
    options: { transient: boolean; awsRequestId?: string; cause?: unknown },
  ) {
    super('AWS_OPERATION_FAILED', `${operation} failed: ${message}`, { cause: options.cause });
    this.operation = operation;
    this.transient = options.transient;
    if (options.awsRequestId !== undefined) this.awsRequestId = options.awsRequestId;
  }
}

/**
 * A seal step failed after the access itself was removed (a permission set's provisioning
 * answered FAILED). It is retried a bounded number of times: the sweeper records `attempt` on
 * the grant (`sealAttempts`), and the driver ends the grant with a `seal-failed` outcome once
 * the bound is reached, so a seal that keeps failing is alerted once and never retried forever.
 */
export class SealRetryError extends AwsOperationError {
  static {
    this.prototype.name = 'SealRetryError';
  }

  /** This failed attempt's number, from 1. */
  readonly attempt: number;
  constructor(operation: string, message: string, options: { attempt: number; awsRequestId?: string }) {
    super(operation, message, { transient: true, ...options });
    this.attempt = options.attempt;
  }
}
