import { z } from 'zod';
import type { Target } from '../../domain/policy.js';
import type { TargetKind } from '../../domain/target-kind.js';

/** The group kind, pure half: temporary membership of an IAM group the broker manages. */

const IAM_NAME = /^[\w+=,.@-]{1,128}$/;

export interface GroupTarget extends Target {
  readonly kind: 'group';
  readonly groupName: string;
}

/** Whether `target` is a group target. */
export function isGroupTarget(target: Target | undefined): target is GroupTarget {
  return target?.kind === GROUP_KIND.kind;
}

export const GROUP_KIND: TargetKind<GroupTarget> = {
  kind: 'group',
  label: 'group',
  schema: ({ fields }) =>
    z.strictObject({
      ...fields,
      kind: z.literal('group'),
      groupName: z.string().regex(IAM_NAME, 'is not an IAM group name'),
    }),
  toTarget: (raw, common) => ({ ...common, kind: 'group', groupName: raw.groupName as string }),
  activation: 'synchronous',
  // A membership outlives nothing by itself: every end takes it away.
  endRemovesAccess: () => true,
  issuesCredentials: false,
  noCredentialsMessage:
    'This is a group grant: the group membership works with your own AWS user; there are no session credentials.',
  describe: (target) => ({ groupName: target.groupName }),
  // Group targets carry only a name: the ARN is built under the managed path, so always in reach.
  iamResource: (target, { partition, account, managedPath }) => ({
    type: 'group',
    arn: `arn:${partition}:iam::${account}:group${managedPath}${target.groupName}`,
  }),
};
