import type { AuditDetail } from '../../domain/audit.js';
import { AwsOperationError, type AwsReceipt, type GroupMembership } from '../../domain/grant-ports.js';
import { isLive } from '../../domain/lifecycle.js';
import type { AccessRequest } from '../../domain/request.js';
import type { DriverContext, StepReceipt, TargetDriver } from '../../domain/target-kind.js';
import { DEFAULT_AGENT_ROLE_NAME, GROUP_KIND, type GroupTarget } from './kind.js';
import type { MemberAccountGroups } from './member-account-groups.js';

/**
 * Other live grants of the same person on the same target whose window is open at `now`. Why
 * open, not just live: a scheduled grant approved for later must not keep a membership alive
 * between the end of this grant and its own start.
 */
async function coveringGrants(
  ctx: Pick<DriverContext, 'store'>,
  grant: Pick<AccessRequest, 'id' | 'principal' | 'targetId'>,
  now: Date,
): Promise<AccessRequest[]> {
  const live = await ctx.store.listLiveFor(grant.principal, grant.targetId);
  return live.filter(
    (g) =>
      g.id !== grant.id &&
      isLive(g.status) &&
      g.endsAt !== undefined &&
      new Date(g.endsAt) > now &&
      (g.startsAt === undefined || new Date(g.startsAt) <= now),
  );
}

function receiptOf(r: AwsReceipt): AwsReceipt {
  return r.awsRequestId === undefined ? {} : { awsRequestId: r.awsRequestId };
}

/** One membership the overlap rule guards: what it is in (for logs), how to remove it, what the trail says. */
export interface GuardedMembership {
  /** The group (or other holder of the access) by name, for logs and errors. */
  readonly resource: string;
  remove(): Promise<AwsReceipt & { readonly wasMember: boolean }>;
  /** The audit detail of a removal that happened (with `wasMember` added). */
  readonly detail: AuditDetail;
}

/**
 * Takes a person out of a group unless another live grant still needs the membership.
 * Overlap rule: the end of one grant must not take away what another still covers, so the
 * membership goes only when no OTHER live grant of that person on that group runs past now;
 * and because such a grant may appear between the check and the removal, the check is made
 * again afterwards and, if one did, its membership is handed to `ctx.repairs`.
 *
 * Never adds to a group itself. Why: the sweeper runs this and may only remove (no
 * iam:AddUserToGroup); the repair runs in the grant worker (directly there, or through a
 * `restore-membership` job from the sweeper). If asking for the repair fails, the error is
 * rethrown as transient so the grant stays live and the failure is counted and alarmed on.
 * Every membership kind (IAM groups, Identity Center groups) ends through this.
 */
export async function removeMembershipUnlessCovered(
  ctx: Pick<DriverContext, 'store' | 'repairs' | 'logger'>,
  grant: Pick<AccessRequest, 'id' | 'principal' | 'targetId'>,
  membership: GuardedMembership,
  now: Date,
): Promise<AwsReceipt & { readonly detail: AuditDetail }> {
  const before = await coveringGrants(ctx, grant, now);
  if (before[0]) return { detail: { membershipKeptFor: before[0].id } };
  const removed = await membership.remove();
  const after = await coveringGrants(ctx, grant, now);
  if (after[0]) {
    const covering = after[0].id;
    try {
      await ctx.repairs.restore(covering);
    } catch (error) {
      ctx.logger.warn('a membership removed under a live grant could not be restored', {
        requestId: grant.id,
        coveringRequestId: covering,
        groupName: membership.resource,
        error: (error as Error).message,
      });
      throw new AwsOperationError(
        'restore-membership',
        `membership of grant ${covering} in ${membership.resource} not restored: ${(error as Error).message}`,
        { transient: true, cause: error },
      );
    }
    return {
      ...receiptOf(removed),
      detail: { membershipKeptFor: covering, membershipRestoreRequested: true },
    };
  }
  return { ...receiptOf(removed), detail: { ...membership.detail, wasMember: removed.wasMember } };
}

/** {@link removeMembershipUnlessCovered} for an IAM group through `groups`. */
export function removeGroupAccess(
  ctx: Pick<DriverContext, 'store' | 'repairs' | 'logger'>,
  groups: GroupMembership,
  grant: Pick<AccessRequest, 'id' | 'principal' | 'targetId'>,
  target: GroupTarget,
  now: Date,
): Promise<AwsReceipt & { readonly detail: AuditDetail }> {
  return removeMembershipUnlessCovered(
    ctx,
    grant,
    {
      resource: target.groupName,
      remove: () => groups.remove(target.groupName, grant.principal),
      detail: { groupName: target.groupName },
    },
    now,
  );
}

/**
 * The group kind's steps over IAM group membership (`AddUserToGroup` / `RemoveUserFromGroup`,
 * idempotent, on groups the broker manages).
 */
export function createGroupDriver(adapters: {
  readonly groups: GroupMembership;
  readonly memberAccountGroups?: MemberAccountGroups;
}): TargetDriver<GroupTarget> {
  /** The membership adapter of the target's account: the broker's own, or a member account's agent role. */
  const groupsOf = (target: GroupTarget): GroupMembership => {
    if (target.account === undefined) return adapters.groups;
    if (!adapters.memberAccountGroups) {
      throw new AwsOperationError('sts:AssumeRole', `no agent role wiring for account ${target.account}`, {
        transient: false,
      });
    }
    return adapters.memberAccountGroups(target.account, target.agentRoleName ?? DEFAULT_AGENT_ROLE_NAME);
  };
  const grantAccess = async (grant: AccessRequest, target: GroupTarget): Promise<StepReceipt> => {
    const receipt = await groupsOf(target).add(target.groupName, grant.principal);
    return { ...receiptOf(receipt), detail: GROUP_KIND.describe(target) };
  };
  return {
    kind: GROUP_KIND,
    grant: (_ctx, grant, target) => grantAccess(grant, target),
    end(ctx, grant, target, _end, now) {
      if (!target) {
        // Why: without the group name the membership cannot be removed; never report it gone.
        throw new AwsOperationError(
          'iam:RemoveUserFromGroup',
          `target ${grant.targetId} is not in the policy`,
          { transient: false },
        );
      }
      return removeGroupAccess(ctx, groupsOf(target), grant, target, now);
    },
    // Every early group end is sealed, also when another grant kept the membership: two
    // grants that cover each other and end at once must not both keep it.
    sealDue: (_grant, end) => end !== 'expire',
    /**
     * Removes the membership once more after an early end is written. Why: a
     * `restore-membership` that read the grant as live just before that write may add the
     * member back after the first removal; it re-reads afterwards, and this second removal
     * covers the other order, so no membership outlives its grant. (At expiry the restore's
     * own window check after adding covers the race.) Still never removes what
     * another live grant covers. If it fails, the reconciler reports anything left.
     */
    seal: (ctx, ended, target) => removeGroupAccess(ctx, groupsOf(target), ended, target, ctx.clock.now()),
    sealFailureMessage: 'sealing a group revoke failed; a membership restored during the revoke may remain',
    // A failed group seal does not fail the job: the reconciler reports and removes a membership left behind.
    retrySealInJob: false,
    revert: (ctx, grant, target, now) => removeGroupAccess(ctx, groupsOf(target), grant, target, now),
    restore: (_ctx, grant, target) => grantAccess(grant, target),
    drift: {
      resource: (target) => target.groupName,
      holders: (target) => groupsOf(target).listMembers(target.groupName),
      remove: (target, member) => groupsOf(target).remove(target.groupName, member),
    },
  };
}
