import { findTarget } from '../../domain/policy.js';
import type { PolicySource } from '../../domain/ports.js';
import type { AccessRequest } from '../../domain/request.js';
import { roleSessionName } from '../../domain/session-policies.js';
import { isRoleTarget } from './kind.js';

/**
 * The role session of a grant as CloudTrail names it: the role's account, the RoleSessionName
 * the driver gives every session of the grant, and its SourceIdentity (the holder's principal).
 * Undefined for a grant whose target is not a role.
 */
export function roleSessionOf(
  policy: PolicySource,
): (request: AccessRequest) => { account: string; sessionName: string; sourceIdentity: string } | undefined {
  return (request) => {
    const target = findTarget(policy.current(), request.targetId);
    if (!isRoleTarget(target)) return undefined;
    return {
      account: target.roleArn.split(':')[4] ?? '',
      sessionName: roleSessionName(request.principal, request.id),
      sourceIdentity: request.principal,
    };
  };
}
