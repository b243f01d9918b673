import type { MembershipRepairs } from '../domain/grant-ports.js';
import { isLive } from '../domain/lifecycle.js';
import { findTarget } from '../domain/policy.js';
import type { GrantQueue } from '../domain/ports.js';
import type { AccessRequest } from '../domain/request.js';
import { auditOf } from './audit-events.js';
import { ACTORS, type GrantDeps } from './grant-deps.js';

/** Why a restore did nothing. */
export type RestoreSkipReason = 'not-found' | 'not-live' | 'window-closed' | 'not-a-group';

export type RestoreResult =
  /** The membership was (re)added and `grant.membership-restored` written. */
  | { readonly outcome: 'restored'; readonly request: AccessRequest }
  /** Nothing to restore: the grant no longer (or never did) give group membership. */
  | { readonly outcome: 'skipped'; readonly reason: RestoreSkipReason };

/**
 * Puts back the group membership of grant `requestId` after an overlapping grant's end took
 * it away (the kind's driver `restore`; see removeGroupAccess in shared/targets/group/driver.ts).
 * Runs in the grant worker, the only function that may add.
 *
 * Invariants:
 * - the grant is re-read (consistently) and the membership added only while it is live
 *   (APPROVED or ACTIVE), of a restorable kind still in the policy, and its window still open;
 *   anything else does nothing, so a stale or repeated job never grants access;
 * - the driver's restore (`AddUserToGroup`) is idempotent and the audit event (`grant.membership-restored`, with the
 *   AWS request id) is a standalone append that changes no state, so a retry is safe;
 * - any failure is rethrown so the queue delivers the job again; a job that keeps failing
 *   reaches the DLQ, whose alarm brings a human;
 * - if the grant ended, or its window closed, while the membership was being added, the
 *   membership goes again (unless another live grant still needs it), as activateGrant does.
 */
export async function restoreMembership(
  deps: GrantDeps,
  input: { readonly requestId: string },
): Promise<RestoreResult> {
  const grant = await deps.store.get(input.requestId);
  if (!grant) return skipped(deps, input.requestId, 'not-found');
  if (!isLive(grant.status)) return skipped(deps, grant.id, 'not-live');
  const now = deps.clock.now();
  // Why: a scheduled grant whose start has not come holds no membership yet (window not open).
  const notStarted = grant.startsAt !== undefined && new Date(grant.startsAt) > now;
  if (grant.endsAt === undefined || new Date(grant.endsAt) <= now || notStarted) {
    return skipped(deps, grant.id, 'window-closed');
  }
  const target = findTarget(deps.policy.current(), grant.targetId);
  const driver = deps.targets.forKind(grant.targetKind);
  // Why: only a grant of a restorable kind (a group) still in the policy may put anyone back.
  if (!driver?.restore || target?.kind !== grant.targetKind) return skipped(deps, grant.id, 'not-a-group');

  const receipt = await driver.restore(deps, grant, target);
  await deps.audit.append(
    auditOf(grant, 'grant.membership-restored', {
      at: now,
      actor: ACTORS.worker,
      reason: 'the end of an overlapping grant took this membership away',
      ...(receipt.awsRequestId === undefined ? {} : { awsRequestId: receipt.awsRequestId }),
      detail: receipt.detail,
    }),
  );
  deps.logger.info('group membership restored', { requestId: grant.id, ...receipt.detail });

  const current = await deps.store.get(grant.id);
  const after = deps.clock.now();
  const ended = !current || !isLive(current.status) || new Date(current.endsAt ?? 0) <= after;
  if (ended) {
    // Why: the grant ended (or its window closed) while we were adding; what we added must not outlive it.
    await driver.revert(deps, current ?? grant, target, after);
  }
  return { outcome: 'restored', request: current ?? grant };
}

function skipped(
  deps: Pick<GrantDeps, 'logger'>,
  requestId: string,
  reason: RestoreSkipReason,
): RestoreResult {
  deps.logger.info('no membership to restore', { requestId, reason });
  return { outcome: 'skipped', reason };
}

/**
 * Repairs run at once, in this process: for the grant worker (and local runs), which may add
 * members. `deps` are the same ports the worker uses.
 */
export function restoreInProcess(deps: Omit<GrantDeps, 'repairs'>): MembershipRepairs {
  const repairs: MembershipRepairs = {
    restore: async (requestId) => {
      await restoreMembership({ ...deps, repairs }, { requestId });
    },
  };
  return repairs;
}

/**
 * Repairs handed to the grant worker as `restore-membership` jobs: for the sweeper, which may
 * only remove (least privilege: it has no iam:AddUserToGroup).
 */
export function restoreThroughQueue(queue: GrantQueue): MembershipRepairs {
  return { restore: (requestId) => queue.enqueue({ kind: 'restore-membership', requestId }) };
}
