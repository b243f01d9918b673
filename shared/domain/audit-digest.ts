import type { AuditEvent } from './audit.js';
import { BrokerError } from './errors.js';

/**
 * Audit digests: a target's events of one closed day, kept as one compressed copy beside the
 * trail, so that a target's month is read as about thirty items instead of thousands (one
 * target's last 30 days over a 1M-event trail: p95 15 ms against 71 ms, and a sixth of the read
 * units; `npm run bench:audit-layouts`).
 *
 * A digest is derived data, never the record: the trail's items and their hash chains stay what
 * `verify` checks, and `verify` also checks every digest against the trail (same events, each
 * hashing to its own hash), because a digest edited to drop an event would hide it from the
 * target's answers. Readers use digests only for the days the digests' span covers
 * ({@link DigestSpan}), and the index for every other day.
 *
 * A day is digested only once it is closed: {@link DIGEST_SETTLE_MS} after its end. Every event
 * is stamped (`at`) by the invocation that appends it, from its own clock, and a function runs
 * for at most {@link LONGEST_APPEND_MS}, so by then no append stamped in the day can still
 * commit. Digests are written before the span moves past their day, so a reader never sees a
 * day of the span half-written.
 */

/** The longest any broker function runs, so the longest an append stamped `at` can take to commit. */
export const LONGEST_APPEND_MS = 15 * 60_000;

/** How long after a day's end it is digested: past any append still in flight, with clock skew to spare. */
export const DIGEST_SETTLE_MS = 60 * 60_000;

/** The days the digests cover, inclusive (`YYYY-MM-DD`): every day between was digested whole. */
export interface DigestSpan {
  readonly since: string;
  readonly through: string;
}

/**
 * The span once it covers `day`, the day after `previous.through` (the first day digested when
 * there is no span yet): a span only ever grows at its newer end.
 */
export function spanOver(previous: DigestSpan | undefined, day: string): DigestSpan {
  return { since: previous?.since ?? day, through: day };
}

/** One target's events of one day, newest first in the by-target index's order (`at#chain#seq`). */
export interface DayDigest {
  readonly targetId: string;
  readonly day: string;
  readonly events: readonly AuditEvent[];
}

/** A stored digest that cannot be read as written (AuditDigestError's message). */
export interface UnreadableDigest {
  readonly targetId: string;
  readonly day: string;
  readonly problem: string;
}

/** Reads digests (the auditors' reader). */
export interface AuditDigestReader {
  /** The days digested, or undefined before the first day is. */
  span(): Promise<DigestSpan | undefined>;
  /**
   * One target's digests from `newestDay` down to `oldestDay` (inclusive), newest day first; a
   * day on which the target had no event has no digest. Throws AuditDigestError for a digest
   * whose parts do not add up (edited or half-deleted: `verify` names it).
   */
  readTarget(targetId: string, newestDay: string, oldestDay: string): AsyncIterable<DayDigest>;
}

/** Keeps digests: written by the digest run, read by auditors, checked by `verify`. */
export interface AuditDigestStore extends AuditDigestReader {
  /**
   * Writes one day's digests, one per target with events that day. Writing a day again (a run
   * that failed before the span moved) writes the same items again: a day's digests depend only
   * on its events, which no longer change once it is closed.
   */
  writeDay(day: string, digests: readonly DayDigest[]): Promise<void>;
  /**
   * Moves the span's end to `day` (starting the span there when `previous` is undefined), only
   * if the span is still `previous`: false when another run moved it first.
   */
  advance(previous: DigestSpan | undefined, day: string): Promise<boolean>;
  /**
   * Every stored digest, in no particular order (for `verify`: a digest for a day or target with
   * no events is found too); one that cannot be read is given with its problem.
   */
  readAll(): AsyncIterable<DayDigest | UnreadableDigest>;
}

/** A digest that cannot be read as written: parts missing, or a part that does not decode. */
export class AuditDigestError extends BrokerError {
  static {
    this.prototype.name = 'AuditDigestError';
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super('AUDIT_DIGEST_UNREADABLE', `${message}; run verify`, options);
  }
}

const DAY_MS = 86_400_000;

/** The first instant of `day`, as the trail writes times (`2026-06-01T00:00:00.000Z`). */
export function dayStart(day: string): string {
  return `${day}T00:00:00.000Z`;
}

/** The day after `day`. */
export function nextDay(day: string): string {
  return new Date(Date.parse(dayStart(day)) + DAY_MS).toISOString().slice(0, 10);
}

/** Whether `value` is a calendar day written `YYYY-MM-DD` (a span's bounds, a first day to digest). */
export function isDay(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const time = Date.parse(dayStart(value));
  return !Number.isNaN(time) && new Date(time).toISOString().startsWith(value);
}

/** Whether `day` is closed at `now`: ended at least DIGEST_SETTLE_MS ago. */
export function isDayClosed(day: string, now: Date): boolean {
  return now.getTime() >= Date.parse(dayStart(day)) + DAY_MS + DIGEST_SETTLE_MS;
}

/** The newest closed day at `now`. */
export function newestClosedDay(now: Date): string {
  return new Date(now.getTime() - DAY_MS - DIGEST_SETTLE_MS).toISOString().slice(0, 10);
}

/**
 * One day's events grouped into digests, one per target, each newest first in the by-target
 * index's order. Events without a target (none today) are in no target's answers, so in no digest.
 */
export function digestsOfDay(day: string, events: Iterable<AuditEvent>): DayDigest[] {
  const byTarget = new Map<string, AuditEvent[]>();
  for (const event of events) {
    if (typeof event.targetId !== 'string' || event.at.slice(0, 10) !== day) continue;
    let list = byTarget.get(event.targetId);
    if (!list) byTarget.set(event.targetId, (list = []));
    list.push(event);
  }
  return [...byTarget]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([targetId, list]) => ({ targetId, day, events: list.sort(newestFirst) }));
}

/** The by-target index's order, newest first: `at`, then chain, then seq. */
export function newestFirst(a: AuditEvent, b: AuditEvent): number {
  if (a.at !== b.at) return a.at < b.at ? 1 : -1;
  if (a.chain !== b.chain) return a.chain < b.chain ? 1 : -1;
  return b.seq - a.seq;
}
