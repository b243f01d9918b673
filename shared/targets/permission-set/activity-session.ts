import { permissionSetRolePrefix, type GrantSession } from '../../domain/activity.js';
import { findTarget } from '../../domain/policy.js';
import type { PolicySource } from '../../domain/ports.js';
import type { AccessRequest } from '../../domain/request.js';
import { accountOf } from './driver.js';
import { isPermissionSetTarget, PERMISSION_SET_NAME } from './kind.js';
import type { IdentityCenterAdmin } from './ports.js';

/**
 * The Identity Center sessions of a permission-set grant as CloudTrail names them: in each
 * account of the grant (one grant is one account today), the calls of the role
 * `AWSReservedSSO_<PermissionSetName>_<hash>` whose session name is the user's UserName (the
 * target's `users` override, else the grant's principal; a person matched by an email that is
 * not their UserName is not found: map them under `users:`). The permission set's name is the
 * target's when it names one, else resolved from its ARN through `permissionSets`; undefined
 * (not summarised) for other targets or a set that cannot be named.
 */
export function permissionSetSessionsOf(
  policy: PolicySource,
  permissionSets?: Pick<IdentityCenterAdmin, 'permissionSet'>,
): (request: AccessRequest) => Promise<GrantSession[] | undefined> {
  return async (request) => {
    const target = findTarget(policy.current(), request.targetId);
    if (!isPermissionSetTarget(target)) return undefined;
    const account = accountOf(request, target);
    if (account === undefined) return undefined;
    const name = PERMISSION_SET_NAME.test(target.permissionSet)
      ? target.permissionSet
      : (await permissionSets?.permissionSet(target.instanceArn, target.permissionSet))?.name;
    if (name === undefined) return undefined;
    return [
      {
        account,
        sessionName: target.users[request.requester] ?? request.principal,
        roleNamePrefix: permissionSetRolePrefix(name),
      },
    ];
  };
}
