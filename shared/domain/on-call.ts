import type { ResolvedPerson } from './person.js';
import { EVERYONE, isFixedMember, type AccessPolicy } from './policy.js';

/**
 * On-call people sets: a set of the policy may name a PagerDuty schedule or escalation policy,
 * or an Opsgenie schedule, instead of (or beside) fixed people. Who is on call now is I/O (an
 * OnCallRoster adapter); the use cases resolve it into the ResolvedPerson (`onCall`), so the
 * decisions stay pure and read "is this person in that set" as before.
 */

export const ON_CALL_PROVIDERS = ['pagerduty', 'opsgenie'] as const;
export type OnCallProvider = (typeof ON_CALL_PROVIDERS)[number];

/** Where a set's on-call people come from, as the policy's `onCall:` block says. */
export interface OnCallSource {
  readonly provider: OnCallProvider;
  /** PagerDuty schedule ids or Opsgenie schedule ids (or names). */
  readonly schedules: readonly string[];
  /** PagerDuty escalation policy ids (PagerDuty only). */
  readonly escalationPolicies: readonly string[];
  /** A grant given because of this set ends when the person's shift ends. */
  readonly grantsEndWithShift: boolean;
}

/** One person on call now: their email and, when the provider knows it, when their shift ends. */
export interface OnCallShift {
  readonly email: string;
  /** ISO-8601; absent for an open-ended on-call (a permanent escalation level). */
  readonly endsAt?: string;
}

/**
 * Who is on call now for a source. Invariant: a failure (timeout, 5xx, refused token) throws;
 * an empty list means nobody is on call, never "could not tell".
 */
export interface OnCallRoster {
  onCallNow(source: OnCallSource): Promise<readonly OnCallShift[]>;
}

/** The shift of `email` among those on call, or undefined when they are not on call. */
export function shiftOf(shifts: readonly OnCallShift[], email: string | undefined): OnCallShift | undefined {
  const wanted = email?.trim().toLowerCase();
  if (!wanted) return undefined;
  // Several entries for one person (two schedules, two levels): the latest end wins.
  let found: OnCallShift | undefined;
  for (const shift of shifts) {
    if (shift.email.trim().toLowerCase() !== wanted) continue;
    if (found === undefined || laterEnd(shift.endsAt, found.endsAt)) found = shift;
  }
  return found;
}

/** Whether end `a` is later than end `b` (an unknown end is the latest). */
function laterEnd(a: string | undefined, b: string | undefined): boolean {
  if (b === undefined) return false;
  if (a === undefined) return true;
  return Date.parse(a) > Date.parse(b);
}

/**
 * When access given to `who` because of the sets `setNames` must end: the end of their shift,
 * when every set that admits them admits them only as on call, with grants ending with the
 * shift, and the shift's end is known; undefined otherwise (a fixed member, an open-ended
 * shift: no clamp). Several admitting shifts: the latest end, since any one alone admits them.
 */
export function shiftEndFor(
  policy: AccessPolicy,
  setNames: readonly string[],
  who: ResolvedPerson,
): string | undefined {
  let end: string | undefined;
  for (const name of setNames) {
    if (name === EVERYONE || isFixedMember(policy, name, who)) return undefined;
    const shift = who.onCall?.[name];
    if (shift === undefined) continue;
    if (!policy.people[name]?.onCall?.grantsEndWithShift || shift.endsAt === undefined) return undefined;
    if (end === undefined || laterEnd(shift.endsAt, end)) end = shift.endsAt;
  }
  return end;
}

/** The earlier of a window's end and a shift's end (ISO-8601 both), for clamping a grant. */
export function clampToShift(endsAt: string, shiftEndsAt: string | undefined): string {
  if (shiftEndsAt === undefined) return endsAt;
  return Date.parse(shiftEndsAt) < Date.parse(endsAt)
    ? new Date(Date.parse(shiftEndsAt)).toISOString()
    : endsAt;
}
