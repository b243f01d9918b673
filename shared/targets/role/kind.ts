import * as z from 'zod';
import { tryParseDuration } from '../../domain/duration.js';
import type { Target } from '../../domain/policy.js';
import type { AccessRequest } from '../../domain/request.js';
import type { EndKind, TargetKind } from '../../domain/target-kind.js';

/**
 * The role kind, pure half: a time-boxed STS session on an IAM role, minted on demand
 * ("Get credentials") with a session policy that stops it at the grant's end.
 */

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

/** STS AssumeRole accepts session durations from 15 minutes to 12 hours. */
const STS_MIN_SESSION_SECONDS = 900;
const STS_MAX_SESSION_SECONDS = 12 * 3600;

/** The IAM path of a role ARN: `…:role/jit/ProdOperator` → `/jit/`. */
function rolePathOf(roleArn: string): string {
  const resource = roleArn.split(':')[5] ?? '';
  const name = resource.slice('role'.length);
  return name.slice(0, name.lastIndexOf('/') + 1);
}

export interface RoleTarget extends Target {
  readonly kind: 'role';
  readonly roleArn: string;
  /** The role's MaxSessionDuration; STS sessions are never asked to outlive it. */
  readonly maxSessionDurationSeconds: number;
}

/** Whether `target` is a role target. */
export function isRoleTarget(target: Target | undefined): target is RoleTarget {
  return target?.kind === ROLE_KIND.kind;
}

/**
 * Role grants: each session's own policy stops it at the grant's end, so an expiry has
 * nothing to remove. Only an early end (release, revoke) of an ACTIVE grant must kill the
 * sessions already issued.
 */
export function isEarlyRoleEnd(grant: AccessRequest, kind: EndKind, now: Date): boolean {
  return kind !== 'expire' && grant.status === 'ACTIVE' && new Date(grant.endsAt ?? 0) > now;
}

export const ROLE_KIND: TargetKind<RoleTarget> = {
  kind: 'role',
  label: 'role',
  schema: ({ fields, duration }) =>
    z.strictObject({
      ...fields,
      kind: z.literal('role'),
      roleArn: z.string().regex(ROLE_ARN, 'is not an IAM role ARN'),
      /** The role's MaxSessionDuration; STS sessions are never asked to outlive it. */
      maxSessionDuration: duration.default('1h'),
    }),
  check(raw) {
    const text = raw.maxSessionDuration as string;
    const session = tryParseDuration(text);
    // Why: STS refuses a role whose MaxSessionDuration lies outside 15m–12h, so sessions would fail at issue time.
    if (session !== undefined && (session < STS_MIN_SESSION_SECONDS || session > STS_MAX_SESSION_SECONDS)) {
      return [{ key: 'maxSessionDuration', message: `"${text}" is outside what STS allows (15m to 12h)` }];
    }
    return [];
  },
  toTarget: (raw, common) => ({
    ...common,
    kind: 'role',
    roleArn: raw.roleArn as string,
    maxSessionDurationSeconds: tryParseDuration(raw.maxSessionDuration as string) as number,
  }),
  activation: 'synchronous',
  endRemovesAccess: isEarlyRoleEnd,
  issuesCredentials: true,
  noCredentialsMessage: '',
  describe: (target) => ({ roleArn: target.roleArn, sessions: 'on-demand' }),
  // Why: the broker's grants (and its permissions boundary) never reach outside the managed path.
  iamResource: (target, { managedPath }) =>
    rolePathOf(target.roleArn) === managedPath
      ? { type: 'role', arn: target.roleArn }
      : { key: 'roleArn', problem: `"${target.roleArn}" is not under the managed IAM path ${managedPath}` },
};
