import type { AuditEvent } from '../domain/audit.js';
import { parseAuditFilter, parseAuditQuery, type AuditReader } from '../domain/audit-query.js';
import type { Clock, Page } from '../domain/ports.js';

/** What the auditors' queries need. */
export interface AuditQueryDeps {
  readonly reader: AuditReader;
  readonly clock: Clock;
}

/**
 * One page of audit events for an auditor's filters, newest first. The input is validated
 * first (unknown keys, bad dates, bad limits: ValidationError, nothing read); the returned
 * cursor continues the same query and only that query.
 */
export async function queryAudit(deps: AuditQueryDeps, input: unknown): Promise<Page<AuditEvent>> {
  const query = parseAuditQuery(input);
  return deps.reader.query(
    query.filter,
    query.cursor === undefined ? { limit: query.limit } : { limit: query.limit, cursor: query.cursor },
    deps.clock.now(),
  );
}

/**
 * Every audit event matching an auditor's filters, newest first, streamed page by page so
 * that memory stays flat on large histories. Validation happens before anything is read
 * (this function throws, the iterable does not start). `max` caps how many are returned.
 */
export function exportAudit(
  deps: AuditQueryDeps,
  input: unknown,
  options: { readonly max?: number } = {},
): AsyncIterable<AuditEvent> {
  const filter = parseAuditFilter(input);
  const now = deps.clock.now();
  const max = options.max ?? Number.POSITIVE_INFINITY;
  return {
    async *[Symbol.asyncIterator]() {
      if (max <= 0) return;
      let n = 0;
      for await (const event of deps.reader.stream(filter, now)) {
        yield event;
        if (++n >= max) return;
      }
    },
  };
}
