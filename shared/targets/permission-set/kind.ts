import * as z from 'zod';
import { tryParseDuration } from '../../domain/duration.js';
import type { Target } from '../../domain/policy.js';
import type { TargetIssue, TargetKind } from '../../domain/target-kind.js';

/**
 * The permission-set kind, pure half: an IAM Identity Center account assignment (a permission
 * set given to one Identity Center user in one AWS account) for the grant's window. One grant
 * is one account; a request over several accounts becomes one grant per account.
 */

/** `arn:aws:sso:::instance/ssoins-…` (any partition). */
export const INSTANCE_ARN = /^arn:aws[a-z-]*:sso:::instance\/(sso)?ins-[a-zA-Z0-9-.]{16}$/;
/** `arn:aws:sso:::permissionSet/ssoins-…/ps-…`. */
export const PERMISSION_SET_ARN =
  /^arn:aws[a-z-]*:sso:::permissionSet\/(sso)?ins-[a-zA-Z0-9-.]{16}\/ps-[a-zA-Z0-9-./]{16}$/;
/** A permission set's name, as Identity Center allows it. */
export const PERMISSION_SET_NAME = /^[\w+=,.@-]{1,32}$/;
/** An identity store id: `d-` and ten hex digits, or a UUID-like id. */
const IDENTITY_STORE_ID = /^d-[0-9a-f]{10}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A 12-digit AWS account id. */
export const ACCOUNT_ID = /^\d{12}$/;
/** An organizational unit id. */
export const OU_ID = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
/** An Identity Center user name or user id (the override map's values). */
const IDENTITY_CENTER_USER = /^[\w+=,.@-]{1,128}$/;

/**
 * The longest an assignment may be granted for: like a group membership it is standing access
 * for its whole window (portal sessions are re-issued inside it), so it gets the same ceiling.
 */
export const MAX_PERMISSION_SET_GRANT_SECONDS = 7 * 86_400;

export interface PermissionSetTarget extends Target {
  readonly kind: 'permission-set';
  /** The Identity Center instance (`arn:aws:sso:::instance/ssoins-…`). */
  readonly instanceArn: string;
  /** The identity store of the instance (`d-…`), where users are looked up. */
  readonly identityStoreId: string;
  /** The permission set, by ARN or by name (a name is resolved in the instance at run time). */
  readonly permissionSet: string;
  /** Accounts the set may be granted in (12-digit ids). */
  readonly accounts: readonly string[];
  /** OUs whose accounts the set may be granted in. */
  readonly ous: readonly string[];
  /** Whether accounts of OUs nested under `ous` count too. */
  readonly includeNestedOus: boolean;
  /** Person (canonical key) → Identity Center user name, for people whose email does not match. */
  readonly users: Readonly<Record<string, string>>;
}

/** Whether `target` is a permission-set target. */
export function isPermissionSetTarget(target: Target | undefined): target is PermissionSetTarget {
  return target?.kind === PERMISSION_SET_KIND.kind;
}

/** The instance id (`ssoins-…`) an instance or permission set ARN belongs to. */
export function instanceIdOf(arn: string): string | undefined {
  return /(?:instance|permissionSet)\/((?:sso)?ins-[a-zA-Z0-9-.]{16})/.exec(arn)?.[1];
}

function checkTarget(raw: Record<string, unknown>): TargetIssue[] {
  const issues: TargetIssue[] = [];
  const accounts = (raw.accounts as string[] | undefined) ?? [];
  const ous = (raw.ous as string[] | undefined) ?? [];
  // Why: a target with nowhere to grant would only ever fail at activation.
  if (accounts.length === 0 && ous.length === 0) {
    issues.push({
      key: 'accounts',
      message: 'name at least one account or OU (ous) to grant the permission set in',
    });
  }
  const set = raw.permissionSet as string;
  // Why: a permission set of another instance cannot be assigned through this one.
  if (PERMISSION_SET_ARN.test(set) && instanceIdOf(set) !== instanceIdOf(raw.instanceArn as string)) {
    issues.push({
      key: 'permissionSet',
      message: `${set} is not a permission set of instance ${String(raw.instanceArn)}`,
    });
  }
  const text = raw.maxDuration as string;
  const max = tryParseDuration(text);
  // Why: an assignment is standing access for its whole window (see MAX_PERMISSION_SET_GRANT_SECONDS).
  if (max !== undefined && max > MAX_PERMISSION_SET_GRANT_SECONDS) {
    issues.push({
      key: 'maxDuration',
      message: `"${text}" is longer than a permission-set grant may last (at most 7d)`,
    });
  }
  return issues;
}

export const PERMISSION_SET_KIND: TargetKind<PermissionSetTarget> = {
  kind: 'permission-set',
  label: 'permission set',
  schema: ({ fields }) =>
    z.strictObject({
      ...fields,
      kind: z.literal('permission-set'),
      instanceArn: z
        .string()
        .regex(INSTANCE_ARN, 'is not an Identity Center instance ARN (arn:aws:sso:::instance/ssoins-…)'),
      identityStoreId: z.string().regex(IDENTITY_STORE_ID, 'is not an identity store id (d-…)'),
      permissionSet: z.string().refine((v) => PERMISSION_SET_ARN.test(v) || PERMISSION_SET_NAME.test(v), {
        message: 'is neither a permission set ARN nor a permission set name',
      }),
      accounts: z.array(z.string().regex(ACCOUNT_ID, 'is not a 12-digit account id')).default([]),
      ous: z.array(z.string().regex(OU_ID, 'is not an OU id (ou-…)')).default([]),
      includeNestedOus: z.boolean().default(false),
      users: z
        .record(z.string(), z.string().regex(IDENTITY_CENTER_USER, 'is not an Identity Center user name'))
        .default({}),
    }),
  check: checkTarget,
  toTarget: (raw, common) => ({
    ...common,
    kind: 'permission-set',
    instanceArn: raw.instanceArn as string,
    identityStoreId: raw.identityStoreId as string,
    permissionSet: raw.permissionSet as string,
    accounts: raw.accounts as string[],
    ous: raw.ous as string[],
    includeNestedOus: raw.includeNestedOus as boolean,
    users: raw.users as Record<string, string>,
  }),
  activation: 'asynchronous',
  // The assignment outlives nothing by itself: every end takes it away.
  endRemovesAccess: () => true,
  issuesCredentials: false,
  noCredentialsMessage:
    'This is a permission-set grant: sign in through your AWS access portal (IAM Identity Center); the broker hands out no credentials.',
  describe: (target) => ({
    instanceArn: target.instanceArn,
    permissionSet: target.permissionSet,
  }),
};
