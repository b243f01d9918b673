import type { AuditEvent } from '../../shared/domain/audit.js';
import { matchesAuditFilter, type AuditFilter, type AuditReader } from '../../shared/domain/audit-query.js';

/** An AuditReader over in-memory events, with the reference filter semantics (newest first). */
export class InMemoryAuditReader implements AuditReader {
  /** How many times the trail was read (stream or page). */
  reads = 0;
  constructor(private readonly events: () => readonly AuditEvent[]) {}

  private matching(filter: AuditFilter, now: Date): AuditEvent[] {
    const to = filter.to ?? now.toISOString();
    return this.events()
      .filter((e) => matchesAuditFilter(e, { ...filter, to }))
      .sort((a, b) => (a.at === b.at ? b.seq - a.seq : a.at < b.at ? 1 : -1));
  }

  async query(filter: AuditFilter, page: { limit: number }, now: Date) {
    this.reads++;
    return { items: this.matching(filter, now).slice(0, page.limit) };
  }

  async *stream(filter: AuditFilter, now: Date): AsyncIterable<AuditEvent> {
    this.reads++;
    yield* this.matching(filter, now);
  }
}
