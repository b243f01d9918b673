import type { AccessPolicy } from '../shared/domain/policy.js';
import { isGroupTarget } from '../shared/targets/group/kind.js';
import { isIdentityCenterGroupTarget } from '../shared/targets/identity-center-group/kind.js';
import {
  instanceIdOf,
  isPermissionSetTarget,
  PERMISSION_SET_ARN,
} from '../shared/targets/permission-set/kind.js';
import type { ArnScope } from './managed-targets.js';

/**
 * The tag a permission set named by name (not ARN) in the policy must carry for the broker to
 * change it: its ARN is unknown at synth, so the permissions reach it by this tag instead.
 */
export const MANAGED_PERMISSION_SET_TAG = { key: 'jit-broker:managed', value: 'true' } as const;

/**
 * What the broker must reach for the policy's Identity Center and member-account targets,
 * as IAM resource ARNs, derived at synth time (like {@link managedTargets} for IAM groups and
 * roles). Empty lists mean the policy has no such targets and no permission is granted.
 */
export interface IdentityCenterReach {
  /** `arn:…:sso:::instance/ssoins-…` of every permission-set target. */
  readonly instanceArns: readonly string[];
  /** Permission sets the policy names by ARN: exact. */
  readonly permissionSetArns: readonly string[];
  /**
   * `arn:…:sso:::permissionSet/<instance>/*` of instances where a set is named by name: read
   * (to resolve the name) everywhere; changed only where it carries {@link MANAGED_PERMISSION_SET_TAG}.
   */
  readonly namedPermissionSetPatterns: readonly string[];
  /** `arn:…:sso:::account/<id>`; `account/*` once a target grants in OUs (their accounts are read at run time). */
  readonly ssoAccountArns: readonly string[];
  /** The OUs to read (`organizations:ListAccountsForParent`); every OU when one nests. */
  readonly ouArns: readonly string[];
  /** Whether a target includes nested OUs (then `organizations:ListChildren` walks them). */
  readonly nestedOus: boolean;
  /** Accounts whose names are read (`organizations:DescribeAccount`). */
  readonly orgAccountArns: readonly string[];
  /** Identity stores where users are looked up (every permission-set and Identity Center group target). */
  readonly identityStoreArns: readonly string[];
  /** Identity stores of Identity Center group targets (memberships change there). */
  readonly groupStoreArns: readonly string[];
  /** Identity Center groups: exact by GroupId; `group/*` once one is named by display name. */
  readonly groupArns: readonly string[];
  /** Agent roles of `kind: group` targets in member accounts (`arn:…:iam::<account>:role/<name>`). */
  readonly agentRoleArns: readonly string[];
}

const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

/** The Identity Center, Organizations and member-account reach of `policy`'s targets. */
export function identityCenterReach(policy: AccessPolicy, scope: ArnScope): IdentityCenterReach {
  const { partition, account } = scope;
  const sso = (resource: string) => `arn:${partition}:sso:::${resource}`;
  const store = (id: string) => `arn:${partition}:identitystore::${account}:identitystore/${id}`;
  // The Organization's management account and id are not in the policy: any, for the named OU/account.
  const org = (resource: string) => `arn:${partition}:organizations::*:${resource}`;

  const instances = new Set<string>();
  const sets = new Set<string>();
  const named = new Set<string>();
  const accounts = new Set<string>();
  const ous = new Set<string>();
  let anyOu = false;
  let nestedOus = false;
  const stores = new Set<string>();
  const groupStores = new Set<string>();
  const groups = new Set<string>();
  let groupByName = false;
  const agentRoles = new Set<string>();

  for (const target of policy.targets) {
    if (isPermissionSetTarget(target)) {
      instances.add(target.instanceArn);
      if (PERMISSION_SET_ARN.test(target.permissionSet)) sets.add(target.permissionSet);
      else named.add(sso(`permissionSet/${instanceIdOf(target.instanceArn) ?? ''}/*`));
      for (const id of target.accounts) accounts.add(id);
      for (const ou of target.ous) ous.add(ou);
      anyOu ||= target.ous.length > 0;
      nestedOus ||= target.ous.length > 0 && target.includeNestedOus;
      stores.add(store(target.identityStoreId));
    } else if (isIdentityCenterGroupTarget(target)) {
      stores.add(store(target.identityStoreId));
      groupStores.add(store(target.identityStoreId));
      if (target.groupId === undefined) groupByName = true;
      else groups.add(`arn:${partition}:identitystore:::group/${target.groupId}`);
    } else if (isGroupTarget(target) && target.account !== undefined && target.agentRoleName !== undefined) {
      agentRoles.add(`arn:${partition}:iam::${target.account}:role/${target.agentRoleName}`);
    }
  }
  const hasPermissionSets = instances.size > 0;
  return {
    instanceArns: sorted(instances),
    permissionSetArns: sorted(sets),
    namedPermissionSetPatterns: sorted(named),
    ssoAccountArns: anyOu ? [sso('account/*')] : sorted([...accounts].map((id) => sso(`account/${id}`))),
    // Nested OUs are found at run time: their ids (and so their ARNs) are unknown at synth.
    ouArns: nestedOus ? [org('ou/o-*/ou-*')] : sorted([...ous].map((ou) => org(`ou/o-*/${ou}`))),
    nestedOus,
    orgAccountArns: !hasPermissionSets
      ? []
      : anyOu
        ? [org('account/o-*/*')]
        : sorted([...accounts].map((id) => org(`account/o-*/${id}`))),
    identityStoreArns: sorted(stores),
    groupStoreArns: sorted(groupStores),
    groupArns:
      groupStores.size === 0
        ? []
        : groupByName
          ? [`arn:${partition}:identitystore:::group/*`]
          : sorted(groups),
    agentRoleArns: sorted(agentRoles),
  };
}
