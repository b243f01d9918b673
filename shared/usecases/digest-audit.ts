import {
  digestsOfDay,
  dayStart,
  isDayClosed,
  newestClosedDay,
  nextDay,
  spanOver,
  type AuditDigestStore,
  type DigestSpan,
} from '../domain/audit-digest.js';
import type { AuditEvent } from '../domain/audit.js';
import type { AuditReader } from '../domain/audit-query.js';
import type { Clock } from '../domain/ports.js';
import type { UseCaseLogger } from './deps.js';

/** The metric a digest run emits when it could not digest a closed day (the next run tries again). */
export const DIGEST_FAILURES_METRIC = 'DigestFailures';
/** The metric of the days a run digested. */
export const DIGESTED_DAYS_METRIC = 'DigestedDays';

export interface DigestAuditDeps {
  /** The trail, read one day at a time (the by-day index; events off their chain are withheld). */
  readonly trail: Pick<AuditReader, 'stream'>;
  readonly digests: AuditDigestStore;
  readonly clock: Clock;
  readonly logger: UseCaseLogger & { error(message: string, fields?: Record<string, unknown>): void };
  readonly metrics: { count(name: string, value?: number): void };
  /**
   * The first day to digest while none is (`YYYY-MM-DD`); default the newest closed day. An
   * earlier day digests the trail from then on, run by run; days before the span are read from
   * the index as before.
   */
  readonly firstDay?: string;
}

export type DigestRun =
  /** Every closed day up to `span.through` is digested, or the run stopped in time and the next goes on. */
  | { readonly status: 'digested'; readonly days: readonly string[]; readonly span?: DigestSpan }
  /** A read or a write failed: the days before it are digested, the next run retries the rest. */
  | { readonly status: 'failed'; readonly days: readonly string[]; readonly error: string };

/**
 * Digests the audit trail's closed days, oldest first, from the day after the span (or
 * `firstDay`): reads each day's events, writes one digest per target, then moves the span
 * over the day. Stops when the next day is not closed yet, when `shouldStop` says so (asked
 * before each day), or when another run moved the span first. Never throws: a failure is
 * logged, counted (`DigestFailures`) and retried by the next run, which writes the day again.
 */
export async function digestAuditDays(
  deps: DigestAuditDeps,
  options: { readonly shouldStop?: () => boolean } = {},
): Promise<DigestRun> {
  const days: string[] = [];
  let span: DigestSpan | undefined;
  try {
    span = await deps.digests.span();
    const now = deps.clock.now();
    let day = span ? nextDay(span.through) : (deps.firstDay ?? newestClosedDay(now));
    while (isDayClosed(day, now) && options.shouldStop?.() !== true) {
      const events: AuditEvent[] = [];
      for await (const event of deps.trail.stream({ from: dayStart(day), to: dayStart(nextDay(day)) }, now))
        events.push(event);
      const digests = digestsOfDay(day, events);
      await deps.digests.writeDay(day, digests);
      if (!(await deps.digests.advance(span, day))) {
        deps.logger.info('audit digests: another run moved the span first; stopping', { day });
        break;
      }
      span = spanOver(span, day);
      days.push(day);
      deps.logger.info('audit day digested', { day, targets: digests.length, events: events.length });
      day = nextDay(day);
    }
    return { status: 'digested', days, ...(span ? { span } : {}) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    deps.logger.error('audit digest failed; the next run tries again', { error: message, digested: days });
    deps.metrics.count(DIGEST_FAILURES_METRIC);
    return { status: 'failed', days, error: message };
  } finally {
    if (days.length > 0) deps.metrics.count(DIGESTED_DAYS_METRIC, days.length);
  }
}
