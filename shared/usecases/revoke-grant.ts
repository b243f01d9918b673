import type { AuditDetail, AuditEventType } from '../domain/audit.js';
import { NotFoundError } from '../domain/errors.js';
import { AwsOperationError, type AwsReceipt } from '../domain/grant-ports.js';
import { isLive, type RequestStatus } from '../domain/lifecycle.js';
import { findTarget, type GroupTarget, type Target } from '../domain/policy.js';
import type { AccessRequest, RequestChanges } from '../domain/request.js';
import { MAX_RACE_RETRIES } from './approve-request.js';
import { auditOf } from './audit-events.js';
import { ACTORS, type GrantDeps } from './grant-deps.js';
import { notifySafely } from './notify.js';

/**
 * How a grant ends: its window closed (`expire`), its holder released it (`release`) or an
 * administrator revoked it (`revoke`).
 */
export type EndKind = 'expire' | 'release' | 'revoke';

export type EndGrantResult =
  /** IAM confirmed and the grant left the live states (EXPIRED, REVOKED or FAILED). */
  | { readonly outcome: 'ended'; readonly request: AccessRequest }
  /** Already ended (a retry, a second sweep, a concurrent revoke): nothing to do. */
  | { readonly outcome: 'not-live'; readonly request: AccessRequest }
  /** An expiry was asked but the grant's end moved into the future (an extension). */
  | { readonly outcome: 'not-due'; readonly request: AccessRequest };

/** Other live grants of the same person on the same target that still run after `now`. */
async function coveringGrants(
  deps: Pick<GrantDeps, 'store'>,
  grant: Pick<AccessRequest, 'id' | 'principal' | 'targetId'>,
  now: Date,
): Promise<AccessRequest[]> {
  const live = await deps.store.listLiveFor(grant.principal, grant.targetId);
  return live.filter(
    (g) => g.id !== grant.id && isLive(g.status) && g.endsAt !== undefined && new Date(g.endsAt) > now,
  );
}

/**
 * Takes a person out of a group unless another live grant still needs the membership.
 * Overlap rule: the end of one grant must not take away what another still covers, so the
 * membership goes only when no OTHER live grant of that person on that group runs past now;
 * and because such a grant may appear between the check and the removal, the check is made
 * again afterwards and, if one did, its membership is handed to `deps.repairs`.
 *
 * Never adds to a group itself. Why: the sweeper runs this and may only remove (no
 * iam:AddUserToGroup); the repair runs in the grant worker (directly there, or through a
 * `restore-membership` job from the sweeper). If asking for the repair fails, the error is
 * rethrown as transient so the grant stays live and the failure is counted and alarmed on.
 */
export async function removeGroupAccess(
  deps: Pick<GrantDeps, 'store' | 'groups' | 'repairs' | 'logger'>,
  grant: Pick<AccessRequest, 'id' | 'principal' | 'targetId'>,
  target: GroupTarget,
  now: Date,
): Promise<AwsReceipt & { readonly detail: AuditDetail }> {
  const before = await coveringGrants(deps, grant, now);
  if (before[0]) return { detail: { membershipKeptFor: before[0].id } };
  const removed = await deps.groups.remove(target.groupName, grant.principal);
  const after = await coveringGrants(deps, grant, now);
  if (after[0]) {
    const covering = after[0].id;
    try {
      await deps.repairs.restore(covering);
    } catch (error) {
      deps.logger.warn('a membership removed under a live grant could not be restored', {
        requestId: grant.id,
        coveringRequestId: covering,
        groupName: target.groupName,
        error: (error as Error).message,
      });
      throw new AwsOperationError(
        'restore-membership',
        `membership of grant ${covering} in ${target.groupName} not restored: ${(error as Error).message}`,
        { transient: true, cause: error },
      );
    }
    return {
      ...receiptOf(removed),
      detail: { membershipKeptFor: covering, membershipRestoreRequested: true },
    };
  }
  return { ...receiptOf(removed), detail: { groupName: target.groupName, wasMember: removed.wasMember } };
}

function receiptOf(r: AwsReceipt): AwsReceipt {
  return r.awsRequestId === undefined ? {} : { awsRequestId: r.awsRequestId };
}

/** The AWS side of ending `grant` at `now`. Idempotent; throws AwsOperationError on failure. */
async function removeAccess(
  deps: GrantDeps,
  grant: AccessRequest,
  target: Target | undefined,
  kind: EndKind,
  now: Date,
): Promise<AwsReceipt & { readonly detail: AuditDetail }> {
  if (grant.targetKind === 'group') {
    if (target?.kind !== 'group') {
      // Why: without the group name the membership cannot be removed; never report it gone.
      throw new AwsOperationError(
        'iam:RemoveUserFromGroup',
        `target ${grant.targetId} is not in the policy`,
        {
          transient: false,
        },
      );
    }
    return removeGroupAccess(deps, grant, target, now);
  }
  // Role grants: each session's own policy stops it at the grant's end, so an expiry has
  // nothing to remove. An early end must kill the sessions already issued.
  const early = kind !== 'expire' && grant.status === 'ACTIVE' && new Date(grant.endsAt ?? 0) > now;
  if (!early) return { detail: { sessionsEndAt: grant.endsAt ?? '' } };
  if (target?.kind !== 'role') {
    throw new AwsOperationError('iam:PutRolePolicy', `target ${grant.targetId} is not in the policy`, {
      transient: false,
    });
  }
  const receipt = await deps.denyList.denySessionsIssuedBefore({
    roleArn: target.roleArn,
    principal: grant.principal,
    before: now,
    now,
    maxSessionSeconds: target.maxSessionDurationSeconds,
  });
  return { ...receiptOf(receipt), detail: { sessionsDeniedBefore: now.toISOString() } };
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
 * - group membership is removed only when no other live grant needs it (see removeGroupAccess).
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
  for (let attempt = 0; attempt < MAX_RACE_RETRIES; attempt++) {
    const grant = await deps.store.get(input.requestId);
    if (!grant) throw new NotFoundError(`Grant ${input.requestId}`);
    if (!isLive(grant.status)) return { outcome: 'not-live', request: grant };
    const now = deps.clock.now();
    if (input.kind === 'expire' && (grant.endsAt === undefined || new Date(grant.endsAt) > now)) {
      return { outcome: 'not-due', request: grant };
    }
    const target = findTarget(deps.policy.current(), grant.targetId);
    const removal = await removeAccess(deps, grant, target, input.kind, now);
    const { to, type, notification } = outcomeOf(grant, input.kind);
    const changes: RequestChanges =
      to === 'FAILED'
        ? { failureReason: 'the grant window ended before the access was granted' }
        : to === 'REVOKED'
          ? { decidedBy: input.actor, decidedAt: now.toISOString(), decisionReason: input.reason }
          : {};
    const result = await deps.store.transition(grant, {
      to,
      at: now,
      changes,
      audit: auditOf(grant, type, {
        at: now,
        actor: input.actor,
        to,
        reason: to === 'FAILED' ? changes.failureReason : input.reason,
        ...(removal.awsRequestId === undefined ? {} : { awsRequestId: removal.awsRequestId }),
        detail: removal.detail,
      }),
    });
    if (!result.ok) continue; // changed under us (extended, revoked, activated): re-read and decide again
    if (grant.targetKind === 'role' && removal.detail.sessionsDeniedBefore !== undefined) {
      await sealRoleRevoke(deps, grant, target);
    }
    const removedEarly = input.kind !== 'expire' && removal.detail.wasMember !== undefined;
    if (grant.targetKind === 'group' && target?.kind === 'group' && removedEarly) {
      await sealGroupRevoke(deps, result.request, target);
    }
    deps.metrics.count(
      to === 'FAILED' ? 'GrantFailures' : to === 'EXPIRED' ? 'GrantsExpired' : 'GrantsRevoked',
    );
    deps.logger.info('grant ended', { requestId: grant.id, status: to, kind: input.kind });
    await notifySafely(deps, { kind: notification, request: result.request });
    return { outcome: 'ended', request: result.request };
  }
  const latest = await deps.store.get(input.requestId);
  if (latest && !isLive(latest.status)) return { outcome: 'not-live', request: latest };
  throw new AwsOperationError('endGrant', `grant ${input.requestId} kept changing; will retry`, {
    transient: true,
  });
}

/**
 * Moves the revoke time to after the REVOKED write. Why: a "Get credentials" that read the
 * grant as ACTIVE just before the revoke may mint a session after the first deny; once the
 * grant is REVOKED no new session is handed out, so a deny dated after that write covers
 * every session that could have been. Best effort: the first deny already covers all
 * sessions issued before the revoke began.
 */
async function sealRoleRevoke(deps: GrantDeps, grant: AccessRequest, target: Target | undefined) {
  if (target?.kind !== 'role') return;
  const now = deps.clock.now();
  try {
    await deps.denyList.denySessionsIssuedBefore({
      roleArn: target.roleArn,
      principal: grant.principal,
      before: now,
      now,
      maxSessionSeconds: target.maxSessionDurationSeconds,
    });
  } catch (error) {
    deps.logger.warn('sealing a role revoke failed', {
      requestId: grant.id,
      error: (error as Error).message,
    });
  }
}

/**
 * Removes the membership once more after an early end is written. Why: a
 * `restore-membership` that read the grant as live just before that write may add the
 * member back after the first removal; it re-reads afterwards, and this second removal
 * covers the other order, so no membership outlives its grant. (At expiry the restore's
 * own window check after adding covers the race.) Still never removes what
 * another live grant covers. Best effort: the reconciler reports anything left.
 */
async function sealGroupRevoke(deps: GrantDeps, grant: AccessRequest, target: GroupTarget) {
  try {
    await removeGroupAccess(deps, grant, target, deps.clock.now());
  } catch (error) {
    deps.logger.warn('sealing a group revoke failed', {
      requestId: grant.id,
      error: (error as Error).message,
    });
  }
}

/** Sends the `revoke-failing` notification at most about twice per hour of failure. */
export function revokeAlertDue(overdueSeconds: number): boolean {
  return overdueSeconds % 3600 < 120;
}

/**
 * Records a failed attempt to end a grant: an audit event (grant.revoke-failed), the
 * `RevokeFailures` metric the infrastructure alarms on, and, when `alert` says so, a
 * `revoke-failing` notification. Never throws: it runs on the failure path.
 */
export async function recordRevokeFailure(
  deps: GrantDeps,
  grant: AccessRequest,
  error: unknown,
  input: { readonly actor: string; readonly alert: boolean; readonly attempt?: number },
): Promise<void> {
  const now = deps.clock.now();
  const message = error instanceof Error ? error.message : String(error);
  const awsRequestId = error instanceof AwsOperationError ? error.awsRequestId : undefined;
  deps.metrics.count('RevokeFailures');
  deps.logger.warn('revoke failed; the grant stays live and is retried', {
    requestId: grant.id,
    error: message,
  });
  try {
    await deps.audit.append(
      auditOf(grant, 'grant.revoke-failed', {
        at: now,
        actor: input.actor,
        reason: message.slice(0, 500),
        ...(awsRequestId === undefined ? {} : { awsRequestId }),
        detail: {
          overdueSeconds: grant.endsAt
            ? Math.max(0, Math.floor((now.getTime() - new Date(grant.endsAt).getTime()) / 1000))
            : 0,
          ...(input.attempt === undefined ? {} : { attempt: input.attempt }),
        },
      }),
    );
  } catch (auditError) {
    deps.logger.warn('recording a failed revoke failed', {
      requestId: grant.id,
      error: (auditError as Error).message,
    });
  }
  if (input.alert) await notifySafely(deps, { kind: 'revoke-failing', request: grant, error: message });
}

/**
 * A "revoke" job: the holder released the grant, or an administrator revoked it. The access
 * goes (group membership, or live role sessions through the role's deny list) before the
 * grant becomes REVOKED. A failure is recorded (audit, metric; a notification on the last
 * attempt) and rethrown so the queue retries; a job that keeps failing reaches the DLQ and
 * the sweeper still ends the grant at its end.
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
  const grant = await deps.store.get(input.requestId);
  if (!grant) throw new NotFoundError(`Grant ${input.requestId}`);
  const kind = input.actor === grant.requester ? 'release' : 'revoke';
  try {
    return await endGrant(deps, { requestId: grant.id, kind, actor: input.actor, reason: input.reason });
  } catch (error) {
    await recordRevokeFailure(deps, grant, error, {
      actor: ACTORS.worker,
      alert: input.attempt >= input.maxAttempts,
      attempt: input.attempt,
    });
    throw error;
  }
}
