import { canonicalJson, type AuditEvent } from './audit.js';

/**
 * The audit archive: every audit event also lands in object storage as one JSON line, under a
 * day partition (`events/dt=YYYY-MM-DD/`), for Athena and SIEMs. The object key is derived
 * from the event's identity (chain and seq) alone, so a retried or replayed delivery writes
 * the same key again: the archive holds every event exactly once, however often it is fed.
 * The line is the event exactly as hashed, so its hash can be checked from the archive alone.
 */

/** Where the archive's objects start. */
export const ARCHIVE_PREFIX = 'events/';

/** The day (`YYYY-MM-DD`, UTC) an event is filed under: the same day the by-day index uses. */
export function archiveDayOf(event: Pick<AuditEvent, 'at'>): string {
  return event.at.slice(0, 10);
}

/** The prefix of one day's partition. */
export function archiveDayPrefix(day: string, prefix = ARCHIVE_PREFIX): string {
  return `${prefix}dt=${day}/`;
}

/** The event's id: its place in the trail (`chain-03#42`), unique and stable. */
export function archiveEventId(event: Pick<AuditEvent, 'chain' | 'seq'>): string {
  return `${event.chain}#${event.seq}`;
}

/** The deterministic object key of an event: `events/dt=<day>/<chain>-<seq, 12 digits>.jsonl`. */
export function archiveObjectKey(
  event: Pick<AuditEvent, 'at' | 'chain' | 'seq'>,
  prefix = ARCHIVE_PREFIX,
): string {
  return `${archiveDayPrefix(archiveDayOf(event), prefix)}${event.chain}-${String(event.seq).padStart(12, '0')}.jsonl`;
}

/** The archived line of an event: its canonical JSON (the text its hash covers, plus the hash). */
export function archiveLine(event: AuditEvent): string {
  return `${canonicalJson(event)}\n`;
}

/**
 * Keeps archive objects. Invariants: `put` of a key replaces only that key (a deterministic
 * key, so a retry overwrites instead of duplicating); `keys` lists every key under a prefix.
 */
export interface ArchiveStore {
  put(key: string, body: string): Promise<void>;
  keys(prefix: string): AsyncIterable<string>;
}

/** Optional forwarding of archived events to an event bus (a SIEM rule). At-least-once. */
export interface ArchiveForwarder {
  forward(events: readonly AuditEvent[]): Promise<void>;
}

/** A day whose archive does not hold what the table holds. */
export interface ArchiveGap {
  readonly day: string;
  readonly table: number;
  readonly archive: number;
  readonly message: string;
}

/** Compares per-day counts of the table and the archive: one finding per day that differs. */
export function archiveGapOf(day: string, table: number, archive: number): ArchiveGap | undefined {
  if (table === archive) return undefined;
  return {
    day,
    table,
    archive,
    message:
      archive === 0
        ? `${day}: the table holds ${table} events, the archive none (the day is missing)`
        : archive < table
          ? `${day}: the table holds ${table} events, the archive ${archive} (${table - archive} missing)`
          : `${day}: the archive holds ${archive} objects, the table ${table} (events deleted from the table, or foreign objects)`,
  };
}

/** One delivered event and the id its delivery is acknowledged by (a stream record's sequence number). */
export interface Delivered {
  readonly deliveryId: string;
  readonly event: AuditEvent;
}
