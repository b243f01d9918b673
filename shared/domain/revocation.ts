import { noteProblem, type Refusal } from './decision.js';
import { isLive } from './lifecycle.js';
import { findTarget, isInSets, securitySets, type AccessPolicy } from './policy.js';
import type { ResolvedPerson } from './person.js';
import type { AccessRequest } from './request.js';

/**
 * Revoking someone else's grant: who may end a live grant early (the approvers of its target
 * and the security set), and who may end all of a person's grants at once (the security set
 * only). Pure decisions with their reasons, like shared/domain/decision.ts.
 */

export type RevokeRefusal = 'not-live' | 'not-a-revoker' | 'reason-required' | 'reason-invalid';

/** Why the revoker may: as an approver of the grant's target, or as a member of the security set. */
export type RevokeRole = 'approver' | 'security';

function refuse<R extends string>(reason: R, message: string): Refusal<R> {
  return { allowed: false, reason, message };
}

/** Whether `person` is in the security set (see securitySets). */
export function isSecurity(policy: AccessPolicy, person: ResolvedPerson): boolean {
  return isInSets(policy, securitySets(policy), person);
}

/** What is wrong with a revoke reason (required: the holder is told why), or undefined. */
function reasonRefusal(reason: string): Refusal<'reason-required' | 'reason-invalid'> | undefined {
  const text = reason.trim();
  if (text === '') return refuse('reason-required', 'Say why, so the holder knows.');
  const problem = noteProblem('A reason', text);
  return problem === undefined ? undefined : refuse('reason-invalid', problem);
}

/**
 * Whether `person` may revoke `grant` (with `reason` when given; omit it to ask before the
 * reason form opens). Only a live grant; only by an approver of its target or by the security
 * set. A target no longer in the policy has no approvers: only the security set may end it.
 */
export function decideRevoke(
  policy: AccessPolicy,
  grant: AccessRequest,
  person: ResolvedPerson,
  reason?: string,
): { readonly allowed: true; readonly as: RevokeRole } | Refusal<RevokeRefusal> {
  if (!isLive(grant.status)) return refuse('not-live', `This grant is already ${grant.status}.`);
  const target = findTarget(policy, grant.targetId);
  // Why: ending access is an approver's or security's call, never anyone's who can click a button.
  const as: RevokeRole | undefined =
    target && isInSets(policy, target.approvers, person)
      ? 'approver'
      : isSecurity(policy, person)
        ? 'security'
        : undefined;
  if (as === undefined) {
    return refuse('not-a-revoker', `Only approvers of ${grant.targetId} and security may revoke this grant.`);
  }
  const bad = reason === undefined ? undefined : reasonRefusal(reason);
  return bad ?? { allowed: true, as };
}

export type RevokeAllRefusal = 'not-security' | 'reason-required' | 'reason-invalid';

/**
 * Whether `person` may end all of another person's live grants at once (incident response):
 * the security set only. `reason` as in decideRevoke.
 */
export function decideRevokeAll(
  policy: AccessPolicy,
  person: ResolvedPerson,
  reason?: string,
): { readonly allowed: true } | Refusal<RevokeAllRefusal> {
  // Why: ending everything someone holds is an incident-response power, not an approver's.
  if (!isSecurity(policy, person))
    return refuse('not-security', 'Only the security set may revoke all of a person’s access.');
  const bad = reason === undefined ? undefined : reasonRefusal(reason);
  return bad ?? { allowed: true };
}
