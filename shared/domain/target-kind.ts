import type * as z from 'zod';
import type { AuditDetail } from './audit.js';
import type { Partition } from './partition.js';
import type { AwsReceipt, MembershipRepairs, SessionCredentials } from './grant-ports.js';
import type { GrantWindow } from './grant-window.js';
import type { PolicySource, RequestStore } from './ports.js';
import type { Target, TargetCommon } from './policy.js';
import type { AccessRequest } from './request.js';

/**
 * Target kinds as plug-ins, in the spirit of Common Fate's provider `Accessor`: a kind (an
 * IAM role, an IAM group, an Identity Center assignment...) is one folder under
 * `shared/targets/<kind>/` providing the two halves below, registered in one list
 * (`shared/targets/kinds.ts` for the pure half, `shared/targets/drivers.ts` for the runtime
 * half). Nothing outside those folders compares a kind to a literal: the policy parser, the
 * decisions and the lifecycle use cases ask the kind.
 */

/** How a grant ends: its window closed, its holder released it, or an administrator revoked it. */
export type EndKind = 'expire' | 'release' | 'revoke';

/** The shared policy building blocks a kind's schema fragment extends. */
export interface TargetSchemaBase {
  /** The fields every target has (id, requesters, approvers, durations...). */
  readonly fields: z.ZodRawShape;
  /** A duration text (`15m`, `1h30m`). */
  readonly duration: z.ZodType<string, string>;
}

/** A problem a kind's cross-check found, at a key of the target (`roleArn`). */
export interface TargetIssue {
  readonly key: string;
  readonly message: string;
}

/**
 * The pure half of a kind: usable by the domain and the policy loader (no I/O).
 *
 * @typeParam T the kind's validated target (`TargetCommon` plus its own fields).
 */
export interface TargetKind<T extends Target = Target> {
  /** The `kind:` value in the policy and `targetKind` on stored requests. Never changes once released. */
  readonly kind: string;
  /** A word for people ("role", "group") used in messages. */
  readonly label: string;
  /**
   * Its policy fragment: a `z.strictObject` of the shared base fields, `kind: z.literal(kind)`
   * and its own fields (so unknown keys are refused with their path).
   */
  schema(base: TargetSchemaBase): z.ZodObject;
  /** The validated raw target (its schema's output) as the kind's target, common fields given. */
  toTarget(raw: Record<string, unknown>, common: TargetCommon): T;
  /** Cross-checks the schema cannot express (a session length AWS would refuse...). */
  check?(raw: Record<string, unknown>): readonly TargetIssue[];
  /**
   * How long activation takes: `synchronous` when the grant step's success means the access
   * works; `asynchronous` when AWS provisions it later (Identity Center's
   * `CreateAccountAssignment`) and the worker must poll (requeue with a delay, never block).
   */
  readonly activation: 'synchronous' | 'asynchronous';
  /**
   * Whether an end of `grant` by `end` at `now` has anything to remove in AWS. A role's expiry
   * has not (each session's own policy stops it at the grant's end); a group's always has.
   */
  endRemovesAccess(grant: AccessRequest, end: EndKind, now: Date): boolean;
  /** Whether grants of this kind hand out session credentials on demand ("Get credentials"). */
  readonly issuesCredentials: boolean;
  /** Why a grant of this kind has no credentials, for the holder (when `issuesCredentials` is false). */
  readonly noCredentialsMessage: string;
  /** What the audit trail says about the target when access is given (`groupName`, `roleArn`...). */
  describe(target: T): AuditDetail;
  /**
   * The IAM resource the broker must reach for `target` (infra scopes its permissions to these
   * exact ARNs), or the problem that keeps it out of reach (not under the managed path). A
   * kind without IAM resources of its own leaves it out.
   */
  iamResource?(target: T, scope: IamScope): IamReach;
}

/** Where the broker runs and which IAM path it manages (tokens in an environment-agnostic stack). */
export interface IamScope {
  readonly partition: string;
  readonly account: string;
  /** Like `/jit/`. */
  readonly managedPath: string;
}

/** An IAM resource a target needs, by IAM resource type, or why it is out of reach. */
export type IamReach =
  | { readonly type: 'group' | 'role'; readonly arn: string }
  | { readonly key: string; readonly problem: string };

/** The use-case context a driver's steps run in (given per call, so drivers are wired once). */
export interface DriverContext {
  readonly store: RequestStore;
  readonly policy: PolicySource;
  readonly clock: { now(): Date };
  readonly logger: { warn(message: string, fields?: Record<string, unknown>): void };
  /** Puts back an access an overlapping grant's end took away (never from the sweeper itself). */
  readonly repairs: MembershipRepairs;
}

/** What an AWS step returns for the audit trail. */
export type StepReceipt = AwsReceipt & {
  readonly detail: AuditDetail;
  /**
   * Set when the access is gone but its seal gave up (its bounded retries spent): why. The end
   * is recorded, and the failure is audited and alerted as a failed seal.
   */
  readonly sealFailed?: string;
};

/** Session credentials of a grant, as minted by a kind that issues them. */
export interface MintedCredentials extends AwsReceipt {
  readonly credentials: SessionCredentials;
  /** Scalar facts for the `session.issued` event (never a secret). */
  readonly detail: AuditDetail;
  readonly durationSeconds: number;
  /** The AWS partition the session belongs to (its console link's hosts differ per partition). */
  readonly partition?: Partition;
}

/**
 * The runtime half of a kind: its use-case steps over its AWS adapters, built once at wiring
 * time (`createGroupDriver({ groups })`). Every step that changes AWS is idempotent, and throws
 * AwsOperationError (with `transient`) when AWS fails.
 *
 * @typeParam T the kind's target.
 */
export interface TargetDriver<T extends Target = Target> {
  readonly kind: TargetKind<T>;
  /**
   * Gives the access of `grant` (activation). `in-progress`: an asynchronous kind's
   * provisioning was started or is still running; the worker polls again later.
   */
  grant(
    ctx: DriverContext,
    grant: AccessRequest,
    target: T,
  ): Promise<StepReceipt & { readonly inProgress?: boolean }>;
  /**
   * Removes the access of `grant` ending by `end` at `now`, unless another live grant still
   * needs it (the overlap rule of each kind). `target` is undefined when it left the policy:
   * a kind that needs it throws a permanent AwsOperationError, never reports the access gone.
   */
  end(
    ctx: DriverContext,
    grant: AccessRequest,
    target: T | undefined,
    end: EndKind,
    now: Date,
  ): Promise<StepReceipt>;
  /**
   * Whether an end needs a second pass (the seal) after the end state is written: the race
   * with a session minted or a membership restored while the first pass ran. Decided on the
   * grant as read before the end.
   */
  sealDue(grant: AccessRequest, end: EndKind, now: Date): boolean;
  /** The seal: the end step once more, after the end state is written. */
  seal(ctx: DriverContext, ended: AccessRequest, target: T): Promise<StepReceipt>;
  /** What the log says when a seal failed (what may be left behind). */
  readonly sealFailureMessage: string;
  /**
   * Whether a failed seal fails the revoke job (so the queue retries it), and whether an
   * ended grant delivered again still needs its seal (`resealDue`).
   */
  readonly retrySealInJob: boolean;
  resealDue?(ended: AccessRequest, target: T, now: Date): boolean;
  /**
   * Takes back what activation gave `grant` (a grant that ended or failed while activating),
   * never what another live grant needs. No-op for a kind whose activation gives nothing.
   */
  revert(ctx: DriverContext, grant: AccessRequest, target: T, now: Date): Promise<unknown>;
  /** Re-gives the access of a live grant an overlapping end took away (the worker only). */
  restore?(ctx: DriverContext, grant: AccessRequest, target: T): Promise<StepReceipt>;
  /** Periodic clean-up of what ends left behind (a role's deny list); returns what was removed. */
  prune?(ctx: DriverContext, targets: readonly T[], now: Date): Promise<number>;
  /** Drift: who holds the access in AWS now, and removing a holder without a live grant. */
  readonly drift?: {
    /** The AWS resource that holds the access (a group's name), for reports and the trail. */
    resource(target: T): string;
    holders(target: T): Promise<readonly string[]>;
    /**
     * The holder a grant's principal is, when holders are not principals (Identity Center
     * lists UserIds). Absent: holders are principals, compared case-insensitively (IAM users).
     */
    holderOf?(target: T, principal: string): Promise<string>;
    remove(target: T, holder: string): Promise<AwsReceipt>;
  };
  /** Credentials on demand (optional capability), within the grant's window. */
  readonly credentials?: {
    mint(grant: AccessRequest, target: T, window: GrantWindow, now: Date): Promise<MintedCredentials>;
  };
}

/** The wired drivers, by kind. */
export interface TargetDrivers {
  /** The driver of `kind`, or undefined for a kind this deployment does not know. */
  forKind(kind: string): TargetDriver | undefined;
  readonly all: readonly TargetDriver[];
}
