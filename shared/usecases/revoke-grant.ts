import type { AuditDetail, AuditEventType } from '../domain/audit.js';
import { NotFoundError } from '../domain/errors.js';
import { AwsOperationError, type AwsReceipt } from '../domain/grant-ports.js';
import { isLive, type RequestStatus } from '../domain/lifecycle.js';
import {
  findTarget,
  type AccessPolicy,
  type GroupTarget,
  type RoleTarget,
  type Target,
} from '../domain/policy.js';
import { dueAt, type AccessRequest, type RequestChanges } from '../domain/request.js';
import { MAX_RACE_RETRIES } from './approve-request.js';
import { auditOf } from './audit-events.js';
import { ACTORS, type GrantDeps } from './grant-deps.js';
import { notifySafely } from './notify.js';
import { recordEndRequest } from './release-grant.js';

/**
 * How a grant ends: its window closed (`expire`), its holder released it (`release`) or an
 * administrator revoked it (`revoke`).
 */
export type EndKind = 'expire' | 'release' | 'revoke';

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
  if (!isEarlyRoleEnd(grant, kind, now)) return { detail: { sessionsEndAt: grant.endsAt ?? '' } };
  if (target?.kind !== 'role') {
    throw new AwsOperationError('iam:PutRolePolicy', `target ${grant.targetId} is not in the policy`, {
      transient: false,
    });
  }
  return endRoleSessions(deps, grant, target, now);
}

/**
 * Role grants: each session's own policy stops it at the grant's end, so an expiry has
 * nothing to remove. Only an early end (release, revoke) of an ACTIVE grant must kill the
 * sessions already issued.
 */
function isEarlyRoleEnd(grant: AccessRequest, kind: EndKind, now: Date): boolean {
  return kind !== 'expire' && grant.status === 'ACTIVE' && new Date(grant.endsAt ?? 0) > now;
}

/** Role targets naming `roleArn`: several targets may share one role, and the deny is per role. */
function targetIdsOfRole(policy: AccessPolicy, roleArn: string): string[] {
  return policy.targets.filter((t) => t.kind === 'role' && t.roleArn === roleArn).map((t) => t.id);
}

/**
 * Other live grants of the same person on the same role (through any target naming it) that
 * still run after `now`, the one ending last first. Each is re-read consistently. Why: the
 * listing is an index that may lag, and a grant that has just ended must not spare sessions.
 */
async function coveringRoleGrants(
  deps: Pick<GrantDeps, 'store' | 'policy'>,
  grant: Pick<AccessRequest, 'id' | 'principal'>,
  roleArn: string,
  now: Date,
): Promise<AccessRequest[]> {
  const found: AccessRequest[] = [];
  for (const targetId of targetIdsOfRole(deps.policy.current(), roleArn)) {
    for (const listed of await deps.store.listLiveFor(grant.principal, targetId)) {
      if (listed.id === grant.id) continue;
      const other = await deps.store.get(listed.id);
      if (other && isLive(other.status) && other.endsAt !== undefined && new Date(other.endsAt) > now) {
        found.push(other);
      }
    }
  }
  return found.sort((a, b) => Date.parse(b.endsAt ?? '') - Date.parse(a.endsAt ?? ''));
}

/**
 * Kills the live sessions of `grant`'s holder on its role: a deny on the role for every
 * session of that person (`aws:SourceIdentity`) issued before `now`. Overlap rule: the deny
 * cannot tell one grant's sessions from another's, so it is skipped when another live grant
 * of that person on the same role runs at least until this grant's end; every session minted
 * under this grant already stops at its end by its own session policy
 * (`sessionsKeptFor`). When the other grants all end earlier, the deny is still written
 * (this grant's sessions could outlive them) and the holder mints new credentials under
 * the other grant (`coveringGrantEndsEarlier`).
 */
async function endRoleSessions(
  deps: Pick<GrantDeps, 'store' | 'policy' | 'denyList'>,
  grant: Pick<AccessRequest, 'id' | 'principal' | 'endsAt'>,
  target: RoleTarget,
  now: Date,
): Promise<AwsReceipt & { readonly detail: AuditDetail }> {
  const [latest] = await coveringRoleGrants(deps, grant, target.roleArn, now);
  const end = Date.parse(grant.endsAt ?? '');
  if (latest && Date.parse(latest.endsAt ?? '') >= end) return { detail: { sessionsKeptFor: latest.id } };
  const receipt = await deps.denyList.denySessionsIssuedBefore({
    roleArn: target.roleArn,
    principal: grant.principal,
    before: now,
    now,
    maxSessionSeconds: target.maxSessionDurationSeconds,
  });
  return {
    ...receiptOf(receipt),
    detail: {
      sessionsDeniedBefore: now.toISOString(),
      ...(latest ? { coveringGrantEndsEarlier: latest.id } : {}),
    },
  };
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
 * - group membership is removed only when no other live grant needs it (see removeGroupAccess);
 *   an early role end denies the person's sessions only when no other live grant of theirs on
 *   the same role runs until this grant's end (see endRoleSessions);
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
  for (let attempt = 0; attempt < MAX_RACE_RETRIES; attempt++) {
    const grant = await deps.store.get(input.requestId);
    if (!grant) throw new NotFoundError(`Grant ${input.requestId}`);
    if (!isLive(grant.status)) return { outcome: 'not-live', request: grant };
    const now = deps.clock.now();
    const end = requestedEnd(grant, input);
    if (end.kind === 'expire' && (grant.endsAt === undefined || new Date(grant.endsAt) > now)) {
      return { outcome: 'not-due', request: grant };
    }
    const target = findTarget(deps.policy.current(), grant.targetId);
    const earlyRoleEnd = grant.targetKind === 'role' && isEarlyRoleEnd(grant, end.kind, now);
    const removal = await removeAccess(deps, grant, target, end.kind, now);
    const { to, type, notification } = outcomeOf(grant, end.kind);
    const changes: RequestChanges =
      to === 'FAILED'
        ? { failureReason: 'the grant window ended before the access was granted' }
        : to === 'REVOKED'
          ? { decidedBy: end.actor, decidedAt: now.toISOString(), decisionReason: end.reason }
          : {};
    const result = await deps.store.transition(grant, {
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
    if (!result.ok) continue; // changed under us (extended, revoked, activated): re-read and decide again
    let sealFailed: string | undefined;
    if (earlyRoleEnd && target?.kind === 'role') {
      sealFailed = await sealSafely(deps, result.request, 'role', () => sealRoleRevoke(deps, grant, target));
    }
    // Every early group end is sealed, also when another grant kept the membership: two
    // grants that cover each other and end at once must not both keep it.
    const endedEarly = end.kind !== 'expire';
    if (grant.targetKind === 'group' && target?.kind === 'group' && endedEarly) {
      sealFailed = await sealSafely(deps, result.request, 'group', () =>
        sealGroupRevoke(deps, result.request, target),
      );
    }
    deps.metrics.count(
      to === 'FAILED' ? 'GrantFailures' : to === 'EXPIRED' ? 'GrantsExpired' : 'GrantsRevoked',
    );
    deps.logger.info('grant ended', { requestId: grant.id, status: to, kind: end.kind });
    await notifySafely(deps, { kind: notification, request: result.request });
    return {
      outcome: 'ended',
      request: result.request,
      ...(sealFailed === undefined ? {} : { sealFailed }),
    };
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
 * grant is REVOKED no new session is handed out under it, so a deny dated after that write
 * covers every session that could have been. Runs the overlap check again (see
 * endRoleSessions): two grants covering each other and ended at once would each have
 * spared the other's sessions at first; afterwards, at least one of them sees the other
 * ended. Throws AwsOperationError on failure.
 */
function sealRoleRevoke(
  deps: GrantDeps,
  grant: AccessRequest,
  target: RoleTarget,
): Promise<AwsReceipt & { readonly detail: AuditDetail }> {
  return endRoleSessions(deps, grant, target, deps.clock.now());
}

/**
 * Removes the membership once more after an early end is written. Why: a
 * `restore-membership` that read the grant as live just before that write may add the
 * member back after the first removal; it re-reads afterwards, and this second removal
 * covers the other order, so no membership outlives its grant. (At expiry the restore's
 * own window check after adding covers the race.) Still never removes what
 * another live grant covers. If it fails, the reconciler reports anything left.
 */
function sealGroupRevoke(deps: GrantDeps, grant: AccessRequest, target: GroupTarget) {
  return removeGroupAccess(deps, grant, target, deps.clock.now());
}

/**
 * Runs a seal after the end state is written. A failure never undoes the end (the grant is
 * over), but it may leave a session or a membership behind, so it is recorded like a failed
 * revoke: `RevokeFailures`, a `grant.revoke-failed` event with `stage: 'seal'`, and a
 * `revoke-failing` notification. Returns the error message, or undefined when sealed.
 */
async function sealSafely(
  deps: GrantDeps,
  ended: AccessRequest,
  kind: 'role' | 'group',
  seal: () => Promise<unknown>,
): Promise<string | undefined> {
  try {
    await seal();
    return undefined;
  } catch (error) {
    await recordSealFailure(deps, ended, error, { actor: ACTORS.worker, alert: true, kind });
    return errorMessage(error);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Appends a `grant.revoke-failed` event. Never throws: it runs on the failure path. */
async function appendRevokeFailed(
  deps: GrantDeps,
  grant: AccessRequest,
  error: unknown,
  input: { readonly actor: string; readonly at: Date; readonly detail: AuditDetail },
): Promise<void> {
  const awsRequestId = error instanceof AwsOperationError ? error.awsRequestId : undefined;
  try {
    await deps.audit.append(
      auditOf(grant, 'grant.revoke-failed', {
        at: input.at,
        actor: input.actor,
        reason: errorMessage(error).slice(0, 500),
        ...(awsRequestId === undefined ? {} : { awsRequestId }),
        detail: input.detail,
      }),
    );
  } catch (auditError) {
    deps.logger.warn('recording a failed revoke failed', {
      requestId: grant.id,
      error: (auditError as Error).message,
    });
  }
}

/** Records a failed seal (see sealSafely). Never throws. */
async function recordSealFailure(
  deps: GrantDeps,
  grant: AccessRequest,
  error: unknown,
  input: {
    readonly actor: string;
    readonly alert: boolean;
    readonly kind: 'role' | 'group';
    readonly attempt?: number;
  },
): Promise<void> {
  const message = errorMessage(error);
  deps.metrics.count('RevokeFailures');
  deps.logger.warn(
    input.kind === 'role'
      ? 'sealing a role revoke failed; a session minted during the revoke may still be live'
      : 'sealing a group revoke failed; a membership restored during the revoke may remain',
    { requestId: grant.id, error: message },
  );
  await appendRevokeFailed(deps, grant, error, {
    actor: input.actor,
    at: deps.clock.now(),
    detail: { stage: 'seal', ...(input.attempt === undefined ? {} : { attempt: input.attempt }) },
  });
  if (input.alert) await notifySafely(deps, { kind: 'revoke-failing', request: grant, error: message });
}

/** How long `grant` has been due (see dueAt) at `now`, in whole seconds; 0 when not yet. */
export function overdueSeconds(grant: Pick<AccessRequest, 'endsAt' | 'endRequest'>, now: Date): number {
  const due = dueAt(grant);
  return due === undefined ? 0 : Math.max(0, Math.floor((now.getTime() - Date.parse(due)) / 1000));
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
  const message = errorMessage(error);
  deps.metrics.count('RevokeFailures');
  deps.logger.warn('revoke failed; the grant stays live and is retried', {
    requestId: grant.id,
    error: message,
  });
  await appendRevokeFailed(deps, grant, error, {
    actor: input.actor,
    at: now,
    detail: {
      overdueSeconds: overdueSeconds(grant, now),
      ...(input.attempt === undefined ? {} : { attempt: input.attempt }),
    },
  });
  if (input.alert) await notifySafely(deps, { kind: 'revoke-failing', request: grant, error: message });
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
 * The role seal (see sealRoleRevoke) is retried the same way: when it fails (recorded and
 * alerted at once) the job fails as transient, and a delivered-again job for a REVOKED role
 * grant runs the seal again while a session issued before the REVOKED write could still be
 * valid (see roleSealDue). This also covers a crash between that write and the seal. The
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
    await recordRevokeFailure(deps, grant, error, {
      actor: ACTORS.worker,
      alert: input.attempt >= input.maxAttempts,
      attempt: input.attempt,
    });
    throw error;
  }
  if (result.outcome === 'ended' && result.sealFailed !== undefined && grant.targetKind === 'role') {
    throw new AwsOperationError('seal', `grant ${grant.id} ended; sealing it failed: ${result.sealFailed}`, {
      transient: true,
    });
  }
  if (result.outcome === 'not-live') await resealRoleRevoke(deps, result.request, input);
  return result;
}

/**
 * Whether a REVOKED role grant still needs its seal: a session minted under it before the
 * REVOKED write (`decidedAt`) lives at most the role's max session, and never past the
 * grant's own end (its session policy).
 */
export function roleSealDue(grant: AccessRequest, target: RoleTarget, now: Date): boolean {
  if (grant.status !== 'REVOKED' || grant.decidedAt === undefined || grant.endsAt === undefined) {
    return false;
  }
  const lastSessionEnd = Math.min(
    Date.parse(grant.decidedAt) + target.maxSessionDurationSeconds * 1000,
    Date.parse(grant.endsAt),
  );
  return now.getTime() < lastSessionEnd;
}

/** The seal of a delivered-again revoke job (see revokeGrantJob). Throws when it fails. */
async function resealRoleRevoke(
  deps: GrantDeps,
  grant: AccessRequest,
  input: { readonly attempt: number; readonly maxAttempts: number },
): Promise<void> {
  const target = findTarget(deps.policy.current(), grant.targetId);
  if (grant.targetKind !== 'role' || target?.kind !== 'role') return;
  if (!roleSealDue(grant, target, deps.clock.now())) return;
  try {
    const sealed = await sealRoleRevoke(deps, grant, target);
    deps.logger.info('role revoke sealed again', { requestId: grant.id, ...sealed.detail });
  } catch (error) {
    await recordSealFailure(deps, grant, error, {
      actor: ACTORS.worker,
      alert: input.attempt >= input.maxAttempts,
      kind: 'role',
      attempt: input.attempt,
    });
    throw error;
  }
}
