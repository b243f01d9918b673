import { ValidationError } from './errors.js';

/** The time during which a grant gives access: [startsAt, endsAt). */
export interface GrantWindow {
  readonly startsAt: Date;
  readonly endsAt: Date;
}

/** Opens a window of `durationSeconds` starting at `now`. */
export function openWindow(now: Date, durationSeconds: number): GrantWindow {
  if (!Number.isInteger(durationSeconds) || durationSeconds <= 0) {
    throw new ValidationError(`A grant lasts a positive whole number of seconds, not ${durationSeconds}.`);
  }
  return { startsAt: now, endsAt: new Date(now.getTime() + durationSeconds * 1000) };
}

/** Seconds of access left at `now` (0 once the window has closed or before it opened). */
export function secondsLeft(window: GrantWindow, now: Date): number {
  if (now < window.startsAt) return 0;
  return Math.max(0, Math.floor((window.endsAt.getTime() - now.getTime()) / 1000));
}

export function isOpen(window: GrantWindow, now: Date): boolean {
  return now >= window.startsAt && now < window.endsAt;
}

/**
 * The window of a grant approved at `now`. An extension of a live grant runs on from that
 * grant's end (so the person keeps access without a gap) but never further than
 * `maxSeconds` from now: an extension cannot stack grants beyond the target's maximum.
 */
export function windowOnApproval(
  now: Date,
  durationSeconds: number,
  maxSeconds: number,
  extending?: { readonly endsAt: Date },
): GrantWindow {
  const base = extending && extending.endsAt > now ? extending.endsAt : now;
  const end = Math.min(base.getTime() + durationSeconds * 1000, now.getTime() + maxSeconds * 1000);
  return { startsAt: now, endsAt: new Date(end) };
}
