import type { IdentityCenterUserLookup } from '../../adapters/aws/identity-center-users.js';
import { AwsOperationError } from '../../domain/grant-ports.js';
import type { AccessRequest } from '../../domain/request.js';
import type { DriverContext, StepReceipt, TargetDriver } from '../../domain/target-kind.js';
import { removeMembershipUnlessCovered } from '../group/driver.js';
import type { IdentityCenterGroupMembership } from './identity-store-membership.js';
import { groupLabel, IDENTITY_CENTER_GROUP_KIND, type IdentityCenterGroupTarget } from './kind.js';

/** The AWS adapters the Identity Center group kind runs on. */
export interface IdentityCenterGroupAdapters {
  readonly identityCenterGroups: IdentityCenterGroupMembership;
  readonly identityCenterUsers: IdentityCenterUserLookup;
}

/**
 * The Identity Center group kind's steps: `CreateGroupMembership` / `DeleteGroupMembership`
 * for the requester's Identity Center user (found by email, or the target's `userIds`),
 * idempotent, and overlap-safe like IAM groups (removeMembershipUnlessCovered): a membership
 * goes only when no other live grant of that person on that target still needs it.
 */
export function createIdentityCenterGroupDriver(
  adapters: IdentityCenterGroupAdapters,
): TargetDriver<IdentityCenterGroupTarget> {
  const { identityCenterGroups: groups, identityCenterUsers: users } = adapters;
  const userIdOf = (target: IdentityCenterGroupTarget, principal: string) =>
    users.userIdOf(target.identityStoreId, principal, target.userIds);

  const grantAccess = async (
    grant: AccessRequest,
    target: IdentityCenterGroupTarget,
  ): Promise<StepReceipt> => {
    const userId = await userIdOf(target, grant.principal);
    const added = await groups.add(target, userId);
    return {
      ...(added.awsRequestId === undefined ? {} : { awsRequestId: added.awsRequestId }),
      detail: { ...IDENTITY_CENTER_GROUP_KIND.describe(target), userId, membershipId: added.membershipId },
    };
  };

  const removeAccess = async (
    ctx: Pick<DriverContext, 'store' | 'repairs' | 'logger'>,
    grant: AccessRequest,
    target: IdentityCenterGroupTarget,
    now: Date,
  ): Promise<StepReceipt> => {
    const userId = await userIdOf(target, grant.principal);
    return removeMembershipUnlessCovered(
      ctx,
      grant,
      {
        resource: groupLabel(target),
        remove: () => groups.remove(target, userId),
        detail: { ...IDENTITY_CENTER_GROUP_KIND.describe(target), userId },
      },
      now,
    );
  };

  return {
    kind: IDENTITY_CENTER_GROUP_KIND,
    grant: (_ctx, grant, target) => grantAccess(grant, target),
    end(ctx, grant, target, _end, now) {
      if (!target) {
        // Why: without the store and group the membership cannot be removed; never report it gone.
        throw new AwsOperationError(
          'identitystore:DeleteGroupMembership',
          `target ${grant.targetId} is not in the policy`,
          { transient: false },
        );
      }
      return removeAccess(ctx, grant, target, now);
    },
    // As for IAM groups: every early end is sealed (a restore may race the removal).
    sealDue: (_grant, end) => end !== 'expire',
    seal: (ctx, ended, target) => removeAccess(ctx, ended, target, ctx.clock.now()),
    sealFailureMessage:
      'sealing an Identity Center group revoke failed; a membership restored during the revoke may remain',
    // A failed seal does not fail the job: the reconciler reports and removes a membership left behind.
    retrySealInJob: false,
    revert: (ctx, grant, target, now) => removeAccess(ctx, grant, target, now),
    restore: (_ctx, grant, target) => grantAccess(grant, target),
    drift: {
      resource: (target) => groupLabel(target),
      holders: (target) => groups.listMembers(target),
      // Memberships list UserIds: a grant's principal counts as the user it maps to.
      holderOf: (target, principal) => userIdOf(target, principal),
      remove: (target, member) => groups.remove(target, member),
    },
  };
}
