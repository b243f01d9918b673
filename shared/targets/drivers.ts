import type { GroupMembership, RoleDenyList, SessionVendor } from '../domain/grant-ports.js';
import type { TargetDriver, TargetDrivers } from '../domain/target-kind.js';
import type { IdentityCenterUserLookup } from '../adapters/aws/identity-center-users.js';
import { createGroupDriver } from './group/driver.js';
import { createPermissionSetDriver, type PermissionSetAdapters } from './permission-set/driver.js';
import type { MemberAccountGroups } from './group/member-account-groups.js';
import { createIdentityCenterGroupDriver } from './identity-center-group/driver.js';
import type { IdentityCenterGroupMembership } from './identity-center-group/identity-store-membership.js';
import { createRoleDriver } from './role/driver.js';

/** The AWS adapters the registered kinds' drivers are built from. */
export interface TargetAdapters {
  readonly groups: GroupMembership;
  readonly sessions: SessionVendor;
  readonly denyList: RoleDenyList;
  /** IAM Identity Center, the identity store and Organizations (permission-set targets). */
  readonly permissionSets?: PermissionSetAdapters;
  /** IAM group membership in member accounts through their agent role (`kind: group` with `account:`). */
  readonly memberAccountGroups?: MemberAccountGroups;
  /** Identity Center group membership and user lookup (the identity-center-group kind runs only with both). */
  readonly identityCenterGroups?: IdentityCenterGroupMembership;
  readonly identityCenterUsers?: IdentityCenterUserLookup;
}

/** A lookup over `drivers` by kind (also for a test that adds its own). */
export function targetDrivers(drivers: readonly TargetDriver[]): TargetDrivers {
  const byKind = new Map(drivers.map((d) => [d.kind.kind, d]));
  return { forKind: (kind) => byKind.get(kind), all: drivers };
}

/**
 * The runtime halves of the registered kinds, wired to their adapters. A new kind is a
 * folder under shared/targets/ and one line here (and one in kinds.ts).
 */
export function createTargetDrivers(
  adapters: TargetAdapters,
  extra: readonly TargetDriver[] = [],
): TargetDrivers {
  return targetDrivers([
    createRoleDriver(adapters) as TargetDriver,
    createGroupDriver(adapters) as TargetDriver,
    ...(adapters.permissionSets ? [createPermissionSetDriver(adapters.permissionSets) as TargetDriver] : []),
    ...(adapters.identityCenterGroups && adapters.identityCenterUsers
      ? [
          createIdentityCenterGroupDriver({
            identityCenterGroups: adapters.identityCenterGroups,
            identityCenterUsers: adapters.identityCenterUsers,
          }) as TargetDriver,
        ]
      : []),
    ...extra,
  ]);
}
