import { findTarget, isInSets, requestableTargets, type AccessPolicy } from './policy.js';
import { personKey, type ResolvedPerson } from './person.js';
import type { AccessRequest } from './request.js';

/**
 * What a person may do in the web console, read from the policy's people sets (never from
 * the identity provider's own roles): the console shows and allows only what these say, and
 * every action is decided again by its use case.
 */
export interface ConsoleRoles {
  /** May request at least one target. */
  readonly requester: boolean;
  /** Approves at least one target. */
  readonly approver: boolean;
  /** Reviews break-glass (the policy's `breakGlass.reviewers`). */
  readonly security: boolean;
  /** Reads the whole audit trail and the dashboard, read-only (a set named in AUDITOR_SETS). */
  readonly auditor: boolean;
}

/**
 * The people sets whose members are auditors. A set of this name is the example policy's
 * convention; a policy without one has no console auditors.
 */
export const AUDITOR_SETS: readonly string[] = ['auditors'];

/** The console roles of `who` under `policy`. */
export function consoleRolesOf(policy: AccessPolicy, who: ResolvedPerson): ConsoleRoles {
  return {
    requester: requestableTargets(policy, who).length > 0,
    approver: policy.targets.some((t) => isInSets(policy, t.approvers, who)),
    security: policy.breakGlass !== undefined && isInSets(policy, policy.breakGlass.reviewers, who),
    auditor: isInSets(
      policy,
      AUDITOR_SETS.filter((name) => policy.people[name] !== undefined),
      who,
    ),
  };
}

/** Whether the person has any console role at all (the console shows a 403 page otherwise). */
export function hasAnyConsoleRole(roles: ConsoleRoles): boolean {
  return roles.requester || roles.approver || roles.security || roles.auditor;
}

/**
 * Whether `who` may read the history of `request`: auditors read everything; others their own
 * requests and the requests of targets they approve.
 */
export function mayReadRequest(
  policy: AccessPolicy,
  roles: ConsoleRoles,
  request: Pick<AccessRequest, 'requester' | 'targetId'>,
  who: ResolvedPerson,
): boolean {
  if (roles.auditor || request.requester === personKey(who.person)) return true;
  const target = findTarget(policy, request.targetId);
  return target !== undefined && isInSets(policy, target.approvers, who);
}
