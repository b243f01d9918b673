import { deny, type Refusal } from './decision.js';
import { formatDuration } from './duration.js';
import type { AccessPolicy, Target } from './policy.js';
import type { AccessRequest } from './request.js';

/**
 * The time side of the lifecycle, as pure decisions with reasons: a scheduled start, the
 * expiry warning, and the grace extension its "Extend" button asks for.
 */

export type StartRefusal = 'start-in-past' | 'lead-time-too-long' | 'start-on-extension';

/**
 * Whether a requested start is acceptable at `now`: strictly in the future and no further
 * ahead than the policy's `maxLeadTime`. No start asked for means "as soon as approved".
 * An extension cannot be scheduled: it runs on from the grant it extends.
 */
export function decideStart(
  policy: Pick<AccessPolicy, 'maxLeadTimeSeconds'>,
  input: { readonly startsAt?: Date; readonly extension: boolean },
  now: Date,
): { readonly allowed: true; readonly startsAt?: Date } | Refusal<StartRefusal> {
  const start = input.startsAt;
  if (start === undefined) return { allowed: true };
  if (input.extension) {
    return deny('start-on-extension', 'An extension runs on from your grant; it has no start.', 'start');
  }
  // Why: a start in the past would backdate a window nobody approved in time.
  if (start.getTime() <= now.getTime()) {
    return deny('start-in-past', 'The start must be in the future.', 'start');
  }
  // Why: an approval given today for access months away outlives the approver's context.
  if (start.getTime() - now.getTime() > policy.maxLeadTimeSeconds * 1000) {
    return deny(
      'lead-time-too-long',
      `A start may be at most ${formatDuration(policy.maxLeadTimeSeconds)} ahead.`,
      'start',
    );
  }
  return { allowed: true, startsAt: start };
}

/**
 * Whether the holder of `grant` is to be warned now that it ends soon: only an ACTIVE grant
 * with no early end asked, inside the policy's `warnBefore` of its end, not warned before,
 * and not already followed by a later live grant on the same target (`extendedBeyond`: the
 * access goes on, so its end is not the end of the access).
 */
export function decideExpiryWarning(
  policy: Pick<AccessPolicy, 'warnBeforeSeconds'>,
  grant: AccessRequest,
  now: Date,
  extendedBeyond: boolean,
): boolean {
  if (grant.status !== 'ACTIVE' || grant.endRequest || grant.expiryWarnedAt || !grant.endsAt) return false;
  const left = Date.parse(grant.endsAt) - now.getTime();
  return left > 0 && left <= policy.warnBeforeSeconds * 1000 && !extendedBeyond;
}

export type GraceRefusal = 'no-grace' | 'not-live' | 'grace-used' | 'over-grace-budget' | 'past-max-duration';

/**
 * Whether extending `original` by `durationSeconds` at `now` is a grace extension, approved
 * without approvers: the target offers one, the grant is ACTIVE and not being ended, it was
 * not grace-extended before (nor, when the budget is `once`, is itself a grace extension), the
 * time asked is within the budget, and the new end is no later than maxDuration after the
 * start of the first grant of the chain. Anything else is a normal extension for approvers.
 */
export function decideGraceExtension(
  target: Target | undefined,
  original: AccessRequest,
  durationSeconds: number,
  now: Date,
): { readonly allowed: true; readonly endsAt: Date } | Refusal<GraceRefusal> {
  const rule = target?.graceExtension;
  if (!target || !rule) return deny('no-grace', 'This target has no grace extension.');
  if (original.status !== 'ACTIVE' || original.endRequest || !original.endsAt || !original.startsAt) {
    return deny('not-live', 'Only an active grant can be extended.');
  }
  // Why: the marker is written once, conditionally; a grant has at most one grace extension.
  if (original.graceExtendedBy || (rule.once && original.grace)) {
    return deny('grace-used', 'The grace extension of this grant was already used.');
  }
  if (!Number.isInteger(durationSeconds) || durationSeconds <= 0 || durationSeconds > rule.maxSeconds) {
    return deny(
      'over-grace-budget',
      `A grace extension is at most ${formatDuration(rule.maxSeconds)}.`,
      'duration',
    );
  }
  const end = Math.max(Date.parse(original.endsAt), now.getTime()) + durationSeconds * 1000;
  const chainStart = Date.parse(original.chainStartsAt ?? original.startsAt);
  // Why: grace adds time without approvers; it never stretches access past the target's maximum.
  if (end > chainStart + target.maxDurationSeconds * 1000) {
    return deny(
      'past-max-duration',
      `${target.id} may be held for at most ${formatDuration(target.maxDurationSeconds)} in a row.`,
      'duration',
    );
  }
  return { allowed: true, endsAt: new Date(end) };
}
