import type { AuditEvent } from './audit.js';

/**
 * What an approver sees of a requester's recent history on the same target: the last grants
 * (with their length), any break-glass and any denial, read from the audit trail. Pure: the
 * events come from the audit query (newest first), the summary is a value.
 */

export interface HistoryEntry {
  readonly kind: 'granted' | 'break-glass' | 'denied';
  readonly requestId: string;
  /** ISO-8601 time of the decision. */
  readonly at: string;
  /** The granted window's length, when the trail records it. */
  readonly durationSeconds?: number;
  /** Who denied it (denials only). */
  readonly by?: string;
  /** Why it was denied (denials only). */
  readonly reason?: string;
}

/** How many entries an approval message shows. */
export const HISTORY_ENTRIES = 5;

function windowSeconds(event: AuditEvent): number | undefined {
  const startsAt = event.detail?.['startsAt'];
  const endsAt = event.detail?.['endsAt'];
  if (typeof startsAt !== 'string' || typeof endsAt !== 'string') return undefined;
  const seconds = (Date.parse(endsAt) - Date.parse(startsAt)) / 1000;
  return Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds) : undefined;
}

function entryOf(event: AuditEvent): HistoryEntry | undefined {
  const base = { requestId: event.requestId, at: event.at };
  const seconds = windowSeconds(event);
  const duration = seconds === undefined ? {} : { durationSeconds: seconds };
  switch (event.type) {
    case 'request.approved':
    case 'request.auto-approved':
      return { kind: 'granted', ...base, ...duration };
    case 'break-glass.activated':
      return { kind: 'break-glass', ...base, ...duration };
    case 'request.denied':
      return { kind: 'denied', ...base, by: event.actor, ...(event.reason ? { reason: event.reason } : {}) };
    default:
      return undefined;
  }
}

/**
 * The requester's recent decisions on a target, newest first, from `events` (newest first),
 * leaving out the request being decided (`current`), at most `max`.
 */
export function summarizeHistory(
  events: Iterable<AuditEvent>,
  current: string,
  max = HISTORY_ENTRIES,
): readonly HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  for (const event of events) {
    if (event.requestId === current) continue;
    const entry = entryOf(event);
    if (entry) entries.push(entry);
    if (entries.length >= max) break;
  }
  return entries;
}
