import pLimit from 'p-limit';
import {
  ARCHIVE_PREFIX,
  archiveDayPrefix,
  archiveEventId,
  archiveGapOf,
  archiveLine,
  archiveObjectKey,
  type ArchiveForwarder,
  type ArchiveGap,
  type ArchiveStore,
  type Delivered,
} from '../domain/archive.js';
import type { AuditEvent } from '../domain/audit.js';
import { daysBetween, type AuditChainReader, type AuditReader } from '../domain/audit-query.js';
import { BrokerError } from '../domain/errors.js';
import type { Clock } from '../domain/ports.js';

/** What archiving needs: the store, optionally a forwarder (EventBridge), the key prefix. */
export interface ArchiveDeps {
  readonly store: ArchiveStore;
  readonly forwarder?: ArchiveForwarder;
  readonly prefix?: string;
  /** Parallel puts (default 8). */
  readonly concurrency?: number;
}

/** The outcome of one batch: how many distinct events were archived, which deliveries failed. */
export interface ArchiveBatchResult {
  readonly archived: number;
  readonly failedDeliveries: readonly string[];
  /** The first failure's error (for the log line and as a cause). */
  readonly firstError?: unknown;
}

/**
 * Archives a batch of delivered events, at least once: each event goes to its deterministic
 * key (a duplicate delivery in the batch is written once, a retried batch overwrites the same
 * objects), then to the forwarder when there is one. A delivery whose put or forward failed is
 * returned so that the stream retries it; nothing else is retried.
 */
export async function archiveAuditEvents(
  deps: ArchiveDeps,
  deliveries: readonly Delivered[],
): Promise<ArchiveBatchResult> {
  const byId = new Map<string, { event: AuditEvent; deliveryIds: string[] }>();
  for (const { deliveryId, event } of deliveries) {
    const id = archiveEventId(event);
    const entry = byId.get(id) ?? { event, deliveryIds: [] };
    entry.deliveryIds.push(deliveryId);
    byId.set(id, entry);
  }
  const limit = pLimit(Math.max(1, deps.concurrency ?? 8));
  const failed = new Set<string>();
  let firstError: unknown;
  const written: { event: AuditEvent; deliveryIds: string[] }[] = [];
  await Promise.all(
    [...byId.values()].map((entry) =>
      limit(async () => {
        try {
          await deps.store.put(
            archiveObjectKey(entry.event, deps.prefix ?? ARCHIVE_PREFIX),
            archiveLine(entry.event),
          );
          written.push(entry);
        } catch (error) {
          firstError ??= error;
          entry.deliveryIds.forEach((id) => failed.add(id));
        }
      }),
    ),
  );
  if (deps.forwarder && written.length > 0) {
    try {
      await deps.forwarder.forward(written.map((w) => w.event));
    } catch (error) {
      firstError ??= error;
      // Why: the SIEM copy is at-least-once too; the retry rewrites the same archive keys.
      written.forEach((w) => w.deliveryIds.forEach((id) => failed.add(id)));
    }
  }
  const failedDeliveries = deliveries.map((d) => d.deliveryId).filter((id) => failed.has(id));
  return {
    archived: written.length,
    failedDeliveries,
    ...(firstError === undefined ? {} : { firstError }),
  };
}

/**
 * Re-exports every event of a time range (`from` inclusive, `to` exclusive) from the table to
 * the archive, to the same keys: a replay fills what was missed and duplicates nothing.
 */
export async function replayArchive(
  deps: ArchiveDeps & { readonly reader: AuditReader; readonly clock: Clock },
  range: { readonly from: string; readonly to?: string },
): Promise<{ readonly replayed: number }> {
  let replayed = 0;
  let batch: Delivered[] = [];
  const flush = async () => {
    const result = await archiveAuditEvents(deps, batch);
    if (result.failedDeliveries.length > 0) {
      throw new BrokerError(
        'AUDIT_WRITE_FAILED',
        `Archiving failed for ${result.failedDeliveries.length} events (${result.failedDeliveries[0]} first).`,
        { cause: result.firstError },
      );
    }
    replayed += result.archived;
    batch = [];
  };
  const filter = { from: range.from, ...(range.to === undefined ? {} : { to: range.to }) };
  for await (const event of deps.reader.stream(filter, deps.clock.now())) {
    batch.push({ deliveryId: archiveEventId(event), event });
    if (batch.length >= 100) await flush();
  }
  await flush();
  return { replayed };
}

/** The per-day comparison of table and archive. */
export interface ArchiveGapReport {
  readonly ok: boolean;
  readonly days: readonly { readonly day: string; readonly table: number; readonly archive: number }[];
  readonly gaps: readonly ArchiveGap[];
}

/**
 * Compares, day by day, how many events the table holds (its by-day index) with how many
 * objects the archive holds under that day's partition. Days run from `from` (default: the
 * day of the oldest event of any chain) to `to` (default: today).
 */
export async function checkArchiveGaps(
  deps: {
    readonly chains: AuditChainReader;
    readonly store: ArchiveStore;
    readonly clock: Clock;
    readonly prefix?: string;
  },
  range: { readonly from?: string; readonly to?: string } = {},
): Promise<ArchiveGapReport> {
  const today = deps.clock.now().toISOString().slice(0, 10);
  const from = range.from ?? (await oldestDay(deps.chains)) ?? today;
  const days: { day: string; table: number; archive: number }[] = [];
  const gaps: ArchiveGap[] = [];
  for (const day of daysBetween(range.to ?? today, from).reverse()) {
    let table = 0;
    for await (const ref of deps.chains.readDay(day)) if (ref.seq > 0) table++;
    let archive = 0;
    for await (const key of deps.store.keys(archiveDayPrefix(day, deps.prefix ?? ARCHIVE_PREFIX))) {
      if (key) archive++;
    }
    days.push({ day, table, archive });
    const gap = archiveGapOf(day, table, archive);
    if (gap) gaps.push(gap);
  }
  return { ok: gaps.length === 0, days, gaps };
}

/** The day of the oldest first event of any chain (one read per chain). */
async function oldestDay(chains: AuditChainReader): Promise<string | undefined> {
  let oldest: string | undefined;
  for (const chain of chains.chains) {
    for await (const event of chains.readChain(chain)) {
      const day = event.at.slice(0, 10);
      if (oldest === undefined || day < oldest) oldest = day;
      break;
    }
  }
  return oldest;
}
