import * as z from 'zod';
import { tryParseDuration } from '../../domain/duration.js';
import type { Target } from '../../domain/policy.js';
import type { TargetKind } from '../../domain/target-kind.js';

/** The group kind, pure half: temporary membership of an IAM group the broker manages. */

const IAM_NAME = /^[\w+=,.@-]{1,128}$/;

/**
 * The longest a group membership may be granted for. A group grant adds permissions to the
 * person's own IAM user for its whole window (unlike a role, whose STS sessions last at most
 * 12h and are re-issued inside the grant), so it gets a hard ceiling: a week covers an
 * on-call rotation and keeps the access just-in-time. It also keeps every grant end a
 * representable date (`99999d` is not).
 */
export const MAX_GROUP_GRANT_SECONDS = 7 * 86_400;

/** The agent role a member account deploys for the broker (infra/agent-role-stack.ts). */
export const DEFAULT_AGENT_ROLE_NAME = 'jit-broker-agent';

export interface GroupTarget extends Target {
  readonly kind: 'group';
  readonly groupName: string;
  /** A member account holding the group: the broker acts there through its agent role. */
  readonly account?: string;
  /** The agent role's name in `account` (default {@link DEFAULT_AGENT_ROLE_NAME}). */
  readonly agentRoleName?: string;
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
      account: z
        .string()
        .regex(/^\d{12}$/, 'is not an AWS account id')
        .optional(),
      agentRoleName: z.string().regex(IAM_NAME, 'is not an IAM role name').optional(),
    }),
  check(raw) {
    const text = raw.maxDuration as string;
    const max = tryParseDuration(text);
    // Why: a group membership is standing access for its whole window (see MAX_GROUP_GRANT_SECONDS).
    if (max !== undefined && max > MAX_GROUP_GRANT_SECONDS) {
      return [
        { key: 'maxDuration', message: `"${text}" is longer than a group grant may last (at most 7d)` },
      ];
    }
    return [];
  },
  toTarget: (raw, common) => ({
    ...common,
    kind: 'group',
    groupName: raw.groupName as string,
    ...(raw.account === undefined
      ? {}
      : {
          account: raw.account as string,
          agentRoleName: (raw.agentRoleName as string | undefined) ?? DEFAULT_AGENT_ROLE_NAME,
        }),
  }),
  activation: 'synchronous',
  // A membership outlives nothing by itself: every end takes it away.
  endRemovesAccess: () => true,
  issuesCredentials: false,
  noCredentialsMessage:
    'This is a group grant: the group membership works with your own AWS user; there are no session credentials.',
  describe: (target) => ({
    groupName: target.groupName,
    ...(target.account === undefined ? {} : { account: target.account }),
  }),
  // Group targets carry only a name: the ARN is built under the managed path, so always in reach.
  iamResource: (target, { partition, account, managedPath }) => ({
    type: 'group',
    arn: `arn:${partition}:iam::${target.account ?? account}:group${managedPath}${target.groupName}`,
  }),
};
