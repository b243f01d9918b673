import type { AuditEventType } from '../domain/audit.js';
import { NotFoundError } from '../domain/errors.js';
import { AwsOperationError, SealRetryError } from '../domain/grant-ports.js';
import { isLive, type RequestStatus } from '../domain/lifecycle.js';
import { findTarget, type Target } from '../domain/policy.js';
import type { AccessRequest, RequestChanges } from '../domain/request.js';
import type { EndKind, TargetDriver } from '../domain/target-kind.js';
import { auditOf } from './audit-events.js';
import { ACTORS, type GrantDeps } from './grant-deps.js';
import { recordEndRequest } from './release-grant.js';
import { recordRevokeFailure, recordSealFailure, recordSealRetry, sealSafely } from './revoke-failures.js';
import { retryOnConflict } from './retry-on-conflict.js';

/**
 * The generic ending orchestration: whatever the target kind, a grant leaves the live states
 * only once its kind's driver confirmed the access is gone, and every early end is sealed
 * when the kind asks for it. The per-kind steps (removal with the overlap rule, the seal)
 * live in shared/targets/<kind>/driver.ts; failure recording in revoke-failures.ts.
 */

export type { EndKind };

export type EndGrantResult =
  /**
   * IAM confirmed and the grant left the live states (EXPIRED, REVOKED or FAILED).
   * `sealFailed`: the second pass after an early end failed (already recorded and alerted).
   */
  | { readonly outcome: 'ended'; readonly request: AccessRequest; readonly sealFailed?: string }
  /** Already ended (a retry, a second sweep, a concurrent revoke): nothing to do. */
  | { readonly outcome: 'not-live'; readonly request: AccessRequest }
  /** An expiry was asked but the grant's end moved into the future (an extension). */
  | { readonly outcome: 'not-due'; readonly request: AccessRequest };

/**
 * The wired driver of `grant`'s kind. A kind this deployment does not know cannot be ended
 * here: a permanent failure, recorded and alarmed on, never a grant reported ended.
 */
function driverOf(deps: Pick<GrantDeps, 'targets'>, grant: AccessRequest): TargetDriver {
  const driver = deps.targets.forKind(grant.targetKind);
  if (!driver) {
    throw new AwsOperationError('endGrant', `no driver for target kind ${grant.targetKind}`, {
      transient: false,
    });
  }
  return driver;
}

function outcomeOf(
  grant: AccessRequest,
  kind: EndKind,
): { to: RequestStatus; type: AuditEventType; notification: 'grant-ended' | 'grant-failed' } {
  if (kind === 'expire') {
    // An APPROVED grant whose window closed before it was ever activated did not happen.
    return grant.status === 'APPROVED'
      ? { to: 'FAILED', type: 'grant.failed', notification: 'grant-failed' }
      : { to: 'EXPIRED', type: 'grant.expired', notification: 'grant-ended' };
  }
  return {
    to: 'REVOKED',
    type: kind === 'release' ? 'grant.released' : 'grant.revoked',
    notification: 'grant-ended',
  };
}

/**
 * How a grant is ended: as asked, except that the sweeper's expiry of a grant with an early
 * end requested (see recordEndRequest) ends it as that release or revoke, in the name of who
 * asked. Why: the sweeper is what keeps driving a requested end whose jobs all failed, and the
 * trail must still say who ended the grant and why.
 */
function requestedEnd(
  grant: AccessRequest,
  input: { readonly kind: EndKind; readonly actor: string; readonly reason: string },
): { readonly kind: EndKind; readonly actor: string; readonly reason: string } {
  if (input.kind !== 'expire' || grant.endRequest === undefined) return input;
  const { kind, by, reason } = grant.endRequest;
  return { kind, actor: by, reason };
}

/**
 * Ends a grant: removes the access in IAM, and only once IAM confirmed, writes the end state
 * (EXPIRED, REVOKED, or FAILED for a grant never activated) with its audit event.
 *
 * Invariants:
 * - the grant leaves the live states only after the IAM call succeeded; when IAM fails the
 *   grant stays live and the error propagates (AwsOperationError), so a later run retries;
 * - every step is safe to repeat: IAM removals are idempotent and the state write is
 *   conditional, so a crash between them is repaired by running this again;
 * - the grant is re-read (consistently) first, so a stale index entry or an extended end
 *   never removes access that is still granted;
 * - the kind's driver removes the access only when no other live grant needs it (its overlap
 *   rule: shared/targets/group/driver.ts removeGroupAccess, shared/targets/role/driver.ts
 *   endRoleSessions); the sweeper's run of it never adds access;
 * - after an early end is written, a second pass (the seal) closes the race with a session
 *   minted or a membership restored meanwhile; a failed seal does not undo the end but is
 *   recorded (`RevokeFailures`, `grant.revoke-failed` with `stage: 'seal'`), alerted
 *   (`revoke-failing`) and reported in `sealFailed`;
 * - an expiry asked for a grant with an early end requested ends it as that release or revoke
 *   at once, before its window closes (see requestedEnd): that is how the sweeper keeps
 *   driving a requested end until IAM confirms.
 */
export async function endGrant(
  deps: GrantDeps,
  input: {
    readonly requestId: string;
    readonly kind: EndKind;
    readonly actor: string;
    readonly reason: string;
  },
): Promise<EndGrantResult> {
  // Changed under us (extended, revoked, activated): re-read and decide again.
  return retryOnConflict<Ending, EndGrantResult>({
    read: async () => {
      const grant = await deps.store.get(input.requestId);
      if (!grant) throw new NotFoundError(`Grant ${input.requestId}`);
      return grant;
    },
    decide: async (grant) => {
      if (!isLive(grant.status)) return { done: { outcome: 'not-live', request: grant } };
      const now = deps.clock.now();
      const end = requestedEnd(grant, input);
      if (end.kind === 'expire' && (grant.endsAt === undefined || new Date(grant.endsAt) > now)) {
        return { done: { outcome: 'not-due', request: grant } };
      }
      const found = findTarget(deps.policy.current(), grant.targetId);
      // Why: a target whose kind changed in the policy describes other access; never use it.
      const target = found?.kind === grant.targetKind ? found : undefined;
      const driver = driverOf(deps, grant);
      const sealDue = driver.sealDue(grant, end.kind, now);
      const removal = await driver.end(deps, grant, target, end.kind, now);
      return { write: { now, end, target, driver, sealDue, removal, ...outcomeOf(grant, end.kind) } };
    },
    write: (grant, { now, end, removal, to, type }) => {
      const changes = endChanges(to, end, now);
      return deps.store.transition(grant, {
        to,
        at: now,
        changes,
        audit: auditOf(grant, type, {
          at: now,
          actor: end.actor,
          to,
          reason: to === 'FAILED' ? changes.failureReason : end.reason,
          ...(removal.awsRequestId === undefined ? {} : { awsRequestId: removal.awsRequestId }),
          detail: removal.detail,
        }),
      });
    },
    committed: async (ended, { end, target, driver, sealDue, removal, to, notification }, grant) => {
      let sealFailed: string | undefined = removal.sealFailed;
      if (sealFailed !== undefined) {
        // The access is gone but its seal gave up: recorded, audited and alerted once.
        await recordSealFailure(deps, ended, sealFailed, {
          actor: end.actor,
          alert: true,
          failureMessage: driver.sealFailureMessage,
        });
      }
      if (sealDue && target) {
        sealFailed =
          (await sealSafely(deps, ended, driver.sealFailureMessage, () =>
            driver.seal(deps, ended, target),
          )) ?? sealFailed;
      }
      deps.metrics.count(
        to === 'FAILED' ? 'GrantFailures' : to === 'EXPIRED' ? 'GrantsExpired' : 'GrantsRevoked',
      );
      deps.logger.info('grant ended', { requestId: grant.id, status: to, kind: end.kind });
      await deps.events.publish({ kind: notification, request: ended });
      return {
        outcome: 'ended',
        request: ended,
        ...(sealFailed === undefined ? {} : { sealFailed }),
      };
    },
    exhausted: async () => {
      const latest = await deps.store.get(input.requestId);
      if (latest && !isLive(latest.status)) return { outcome: 'not-live', request: latest };
      throw new AwsOperationError('endGrant', `grant ${input.requestId} kept changing; will retry`, {
        transient: true,
      });
    },
  });
}

/** What ending a grant writes: the access already removed by the driver, and the outcome. */
interface Ending extends ReturnType<typeof outcomeOf> {
  readonly now: Date;
  readonly end: ReturnType<typeof requestedEnd>;
  readonly target: Target | undefined;
  readonly driver: TargetDriver;
  readonly sealDue: boolean;
  readonly removal: Awaited<ReturnType<TargetDriver['end']>>;
}

/** The fields an end writes besides the status: why it failed, or who revoked it and why. */
function endChanges(to: RequestStatus, end: { actor: string; reason: string }, now: Date): RequestChanges {
  return to === 'FAILED'
    ? { failureReason: 'the grant window ended before the access was granted' }
    : to === 'REVOKED'
      ? { decidedBy: end.actor, decidedAt: now.toISOString(), decisionReason: end.reason }
      : {};
}

/**
 * A "revoke" job: the holder released the grant, or an administrator revoked it. The access
 * goes (group membership, or live role sessions through the role's deny list) before the
 * grant becomes REVOKED. The end is stored on the grant first (recordEndRequest; the
 * release use case already did), so it is never lost: a failure is recorded (audit, metric;
 * a notification on the last attempt) and rethrown so the queue retries, and once a job
 * keeps failing past its last delivery the sweeper, finding the grant due, goes on ending it
 * every run until IAM confirms.
 *
 * The role seal (see the role driver's `seal`) is retried the same way: when it fails (recorded and
 * alerted at once) the job fails as transient, and a delivered-again job for a REVOKED role
 * grant runs the seal again while a session issued before the REVOKED write could still be
 * valid (the driver's `resealDue`). This also covers a crash between that write and the seal. The
 * seal is idempotent: it only moves the deny's time forward. A failed group seal does not
 * fail the job: the reconciler reports and removes a membership left behind.
 */
export async function revokeGrantJob(
  deps: GrantDeps,
  input: {
    readonly requestId: string;
    readonly actor: string;
    readonly reason: string;
    readonly attempt: number;
    readonly maxAttempts: number;
  },
): Promise<EndGrantResult> {
  // Stored first (the release use case already did): a job that keeps failing, or a worker
  // that times out mid-job, leaves the end requested and the sweeper drives it.
  const found = await deps.store.get(input.requestId);
  if (!found) throw new NotFoundError(`Grant ${input.requestId}`);
  const asked = {
    kind: input.actor === found.requester ? ('release' as const) : ('revoke' as const),
    by: input.actor,
    reason: input.reason,
  };
  const grant = await recordEndRequest(deps, found.id, asked);
  // The first request stored wins: the grant ends once, in the name of who asked first.
  const end = grant.endRequest ?? asked;
  let result: EndGrantResult;
  try {
    result = await endGrant(deps, { requestId: grant.id, kind: end.kind, actor: end.by, reason: end.reason });
  } catch (error) {
    // A seal retried a bounded number of times is counted on the grant, whoever tried it.
    if (error instanceof SealRetryError) await recordSealRetry(deps, grant, error, { actor: ACTORS.worker });
    else
      await recordRevokeFailure(deps, grant, error, {
        actor: ACTORS.worker,
        alert: input.attempt >= input.maxAttempts,
        attempt: input.attempt,
      });
    throw error;
  }
  if (result.outcome === 'ended' && result.sealFailed !== undefined && driverOf(deps, grant).retrySealInJob) {
    throw new AwsOperationError('seal', `grant ${grant.id} ended; sealing it failed: ${result.sealFailed}`, {
      transient: true,
    });
  }
  if (result.outcome === 'not-live') await resealIfDue(deps, result.request, input);
  return result;
}

/** The seal of a delivered-again revoke job (see revokeGrantJob). Throws when it fails. */
async function resealIfDue(
  deps: GrantDeps,
  grant: AccessRequest,
  input: { readonly attempt: number; readonly maxAttempts: number },
): Promise<void> {
  const driver = deps.targets.forKind(grant.targetKind);
  const target = findTarget(deps.policy.current(), grant.targetId);
  if (!driver?.resealDue || target?.kind !== grant.targetKind) return;
  if (!driver.resealDue(grant, target, deps.clock.now())) return;
  try {
    const sealed = await driver.seal(deps, grant, target);
    deps.logger.info('revoke sealed again', { requestId: grant.id, ...sealed.detail });
  } catch (error) {
    await recordSealFailure(deps, grant, error, {
      actor: ACTORS.worker,
      alert: input.attempt >= input.maxAttempts,
      failureMessage: driver.sealFailureMessage,
      attempt: input.attempt,
    });
    throw error;
  }
}
