import * as z from 'zod';
import { tryParseDuration } from '../../domain/duration.js';
import type { Target } from '../../domain/policy.js';
import type { TargetKind } from '../../domain/target-kind.js';
import { MAX_GROUP_GRANT_SECONDS } from '../group/kind.js';

/**
 * The Identity Center group kind, pure half: temporary membership of a group in an IAM
 * Identity Center identity store (`identitystore:CreateGroupMembership`). Whatever the group
 * is assigned to (permission sets in accounts, applications) follows the membership.
 */

/** `d-` and ten hex digits (an Identity Center store), or a UUID (an external store). */
const IDENTITY_STORE_ID = /^(d-[0-9a-f]{10}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
/** Identity Store resource ids (groups, users): an optional ten-hex prefix and a UUID. */
export const IDENTITY_STORE_RESOURCE_ID =
  /^([0-9a-f]{10}-|)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface IdentityCenterGroupTarget extends Target {
  readonly kind: 'identity-center-group';
  readonly identityStoreId: string;
  /** The group's GroupId, when the policy names it so. */
  readonly groupId?: string;
  /** The group's DisplayName (resolved with `GetGroupId`), when the policy names it so. */
  readonly groupDisplayName?: string;
  /**
   * Principal (the requester's AWS identity, lower-cased) → Identity Center UserId, for people
   * whose email is not the one Identity Center knows them by.
   */
  readonly userIds: Readonly<Record<string, string>>;
}

/** Whether `target` is an Identity Center group target. */
export function isIdentityCenterGroupTarget(target: Target | undefined): target is IdentityCenterGroupTarget {
  return target?.kind === IDENTITY_CENTER_GROUP_KIND.kind;
}

/** How the policy names the group, for people and the audit trail. */
export function groupLabel(target: Pick<IdentityCenterGroupTarget, 'groupId' | 'groupDisplayName'>): string {
  return target.groupDisplayName ?? target.groupId ?? '';
}

export const IDENTITY_CENTER_GROUP_KIND: TargetKind<IdentityCenterGroupTarget> = {
  kind: 'identity-center-group',
  label: 'Identity Center group',
  schema: ({ fields }) =>
    z.strictObject({
      ...fields,
      kind: z.literal('identity-center-group'),
      identityStoreId: z.string().regex(IDENTITY_STORE_ID, 'is not an identity store id (d-0123456789)'),
      groupId: z.string().regex(IDENTITY_STORE_RESOURCE_ID, 'is not an Identity Center GroupId').optional(),
      groupDisplayName: z.string().trim().min(1).max(1024).optional(),
      userIds: z
        .record(
          z.string().trim().toLowerCase().min(1),
          z.string().regex(IDENTITY_STORE_RESOURCE_ID, 'is not an Identity Center UserId'),
        )
        .default({}),
    }),
  check(raw) {
    const issues: { key: string; message: string }[] = [];
    // Why: exactly one name, so the group the broker changes is never a guess between two.
    if ((raw.groupId === undefined) === (raw.groupDisplayName === undefined)) {
      issues.push({
        key: 'groupId',
        message: 'name the group by exactly one of groupId or groupDisplayName',
      });
    }
    const text = raw.maxDuration as string;
    const max = tryParseDuration(text);
    // Why: a membership is standing access for its whole window, like an IAM group's.
    if (max !== undefined && max > MAX_GROUP_GRANT_SECONDS) {
      issues.push({
        key: 'maxDuration',
        message: `"${text}" is longer than a group grant may last (at most 7d)`,
      });
    }
    return issues;
  },
  toTarget: (raw, common) => ({
    ...common,
    kind: 'identity-center-group',
    identityStoreId: raw.identityStoreId as string,
    ...(raw.groupId === undefined ? {} : { groupId: raw.groupId as string }),
    ...(raw.groupDisplayName === undefined ? {} : { groupDisplayName: raw.groupDisplayName as string }),
    userIds: raw.userIds as Record<string, string>,
  }),
  activation: 'synchronous',
  // A membership outlives nothing by itself: every end takes it away.
  endRemovesAccess: () => true,
  issuesCredentials: false,
  noCredentialsMessage:
    'This is an Identity Center group grant: sign in through your AWS access portal; there are no session credentials.',
  describe: (target) => ({
    identityStoreId: target.identityStoreId,
    ...(target.groupId === undefined ? {} : { groupId: target.groupId }),
    ...(target.groupDisplayName === undefined ? {} : { groupDisplayName: target.groupDisplayName }),
  }),
};
