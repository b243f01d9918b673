import { createHash } from 'node:crypto';
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import {
  canonicalJson,
  chainNames,
  misplacementOf,
  type AuditEvent,
  type MisplacedEvent,
} from '../../domain/audit.js';
import {
  daysBetween,
  matchesAuditFilter,
  type AuditChainReader,
  type AuditFilter,
  type AuditReader,
  type ChainEnds,
  type StoredEventRef,
} from '../../domain/audit-query.js';
import {
  dayStart,
  nextDay,
  type AuditDigestReader,
  type DayDigest,
  type DigestSpan,
} from '../../domain/audit-digest.js';
import { ValidationError } from '../../domain/errors.js';
import type { Page } from '../../domain/ports.js';
import { DynamoAuditLog, HEAD_SEQ, itemToAuditEvent, sortKeyOf } from './audit-log.js';
import { readInOrder } from './ordered-reads.js';
import { AUDIT_CHAIN_COUNT, AUDIT_INDEX } from './tables.js';

/**
 * How a filter is answered: one index partition (or a walk over day partitions), with the
 * time range as the key condition on `sortKey` (`at#chain#seq`, so newest first is a
 * descending read) and every other filter as a FilterExpression.
 *
 * The partition is the most selective one the filter names, in this order:
 *   request id → person (subject) → target → break-glass (sparse) → status → day walk.
 * A request's or a person's history is small; a target's is larger; break-glass events are
 * rare; a status partition holds a large share of the trail. Only when none is given are the
 * day partitions walked, newest day first, from `to` (or today) back to `from` (required then).
 */
type Plan =
  | {
      readonly kind: 'partition';
      readonly index: string;
      readonly keyName: string;
      readonly keyValue: string;
      /** Whether the partition is large enough for its time range to be read in slices. */
      readonly large: boolean;
      /** Where the time range ends when the filter has no `to`: a day past `now` (see below). */
      readonly until: string;
    }
  | { readonly kind: 'days'; readonly index: string; readonly newestDay: string; readonly oldestDay: string };

type PartitionPlan = Extract<Plan, { kind: 'partition' }>;

/**
 * How a read is spread over concurrent requests. A large partition's time range is cut into
 * `slices` equal time slices read at once, newest first; a day walk reads up to `window` days
 * at once; a stream also asks for a range's next page as soon as a page arrives. Answers are
 * the same in content and order for any values (1 and 1 read strictly one request at a time).
 */
export interface AuditReadOptions {
  readonly slices: number;
  readonly window: number;
  /**
   * Whether a page whose filter is only its partition and time range is spread too (default
   * no). Such a page takes every item it reads, so the slices or days read ahead past the
   * page's end are items decoded for nothing: one target's month in pages of 1,000 read 2,300
   * items for 1,600 and was slower spread (p50/p95 85/134 ms) than one request at a time
   * (75/97 ms), on DynamoDB Local where decoding is the reader's main cost (2026-12-01).
   * A page with a filter the store applies, and a stream, are always spread.
   */
  readonly spreadPlainPages?: boolean;
}

/**
 * Four slices: one target's month (1,600 events on the benchmark's trail) streamed is four
 * requests in flight, so the store works on the later slices while the reader decodes the
 * first (p50/p95 56/70 ms against 69/80 ms one request at a time, 2026-12-01).
 */
export const DEFAULT_AUDIT_READ: AuditReadOptions = { slices: 4, window: 4 };

/** How long a reader keeps the digests' span it read (see DynamoAuditQuery.digestSpan). */
const SPAN_CACHE_MS = 60_000;

/** A range shorter than this is read in one request: slices would only add round trips. */
const MIN_SLICED_RANGE_MS = 60 * 60_000;

/** Where a read resumes: a day (day walks only) and the key of the last item read there. */
interface Position {
  readonly day?: string;
  readonly key?: Record<string, string | number>;
}

const DAY_MS = 86_400_000;

const cursorSchema = z.strictObject({
  v: z.literal(1),
  q: z.string(),
  d: z.iso.date().optional(),
  k: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
});

/** Reads whole pages of this many items when streaming (DynamoDB caps a page at 1 MB anyway). */
const STREAM_BATCH = 1000;

/** Filtered reads evaluate at least this many items per request, so sparse matches need fewer round trips. */
const FILTERED_BATCH = 200;

/** What a reader does with an event it withholds: by default, a structured warning on stderr. */
export type MisplacedEventHandler = (finding: MisplacedEvent) => void;

function warnMisplaced(finding: MisplacedEvent): void {
  console.warn(
    JSON.stringify({
      level: 'WARN',
      message: 'audit event withheld: it is not on its request chain; run verify',
      finding,
    }),
  );
}

/**
 * The auditors' reader over the audit table: indexed queries, pages, streams and chain reads.
 * A query never returns an event that is not on its request's chain (an unknown chain such as
 * `chain-99`, or another request's chain): such an event was not written by the broker, so it
 * is withheld and handed to `onMisplaced`; `verify` reports it as a finding.
 */
export class DynamoAuditQuery implements AuditReader, AuditChainReader {
  readonly chains: readonly string[];

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly chainCount: number = AUDIT_CHAIN_COUNT,
    private readonly onMisplaced: MisplacedEventHandler = warnMisplaced,
    private readonly readOptions: AuditReadOptions = DEFAULT_AUDIT_READ,
    /** The digests of closed days: a target's answer reads them for the days they cover. */
    private readonly digestReader?: AuditDigestReader,
  ) {
    this.chains = chainNames(chainCount);
  }

  async query(
    filter: AuditFilter,
    page: { limit: number; cursor?: string },
    now: Date,
  ): Promise<Page<AuditEvent>> {
    const plan = planFor(filter, now);
    const fingerprint = fingerprintOf(filter);
    const start = page.cursor === undefined ? {} : decodePosition(page.cursor, fingerprint, plan);
    const items: AuditEvent[] = [];
    let last: Position | undefined;
    const batch = hasResidualFilter(plan, filter) ? Math.max(FILTERED_BATCH, page.limit + 1) : page.limit + 1;
    for await (const { event, after } of this.walk(plan, filter, start, batch, false)) {
      if (items.length === page.limit) {
        // One more exists: the page ends at the last item taken.
        return { items, cursor: encodePosition(last as Position, fingerprint) };
      }
      items.push(event);
      last = after;
    }
    return { items };
  }

  async *stream(filter: AuditFilter, now: Date): AsyncIterable<AuditEvent> {
    for await (const { event } of this.walk(planFor(filter, now), filter, {}, STREAM_BATCH, true))
      yield event;
  }

  /**
   * Every event the plan and filter select, newest first, from `start`, each with the position
   * right after it. `stream` marks a reader that takes every item (pages are pipelined). A
   * target's answer reads the digests for the days they cover (see walkWithDigests).
   */
  private async *walk(
    plan: Plan,
    filter: AuditFilter,
    start: Position,
    batch: number,
    stream: boolean,
  ): AsyncGenerator<{ event: AuditEvent; after: Position }> {
    const span =
      this.digestReader && plan.kind === 'partition' && plan.keyName === 'targetId'
        ? await this.digestSpan(this.digestReader)
        : undefined;
    if (span === undefined || plan.kind !== 'partition')
      yield* this.walkIndex(plan, filter, start, batch, stream);
    else yield* this.walkWithDigests(span, plan, filter, start, batch, stream);
  }

  /**
   * The digests' span, read at most once a minute. A span read earlier is still right to use:
   * it only ever grows at its newer end, and the days it does not cover yet are read from the
   * index, which holds every event.
   */
  private async digestSpan(reader: AuditDigestReader): Promise<DigestSpan | undefined> {
    const now = Date.now();
    if (this.spanCache === undefined || now >= this.spanCache.until) {
      this.spanCache = { value: await reader.span(), until: now + SPAN_CACHE_MS };
    }
    return this.spanCache.value;
  }

  private spanCache: { readonly value: DigestSpan | undefined; readonly until: number } | undefined;

  /**
   * A target's answer in three stretches, newest first: the index after the digests' span, the
   * digests of the span's days, the index before the span. The filter's time range and every
   * other filter apply to each stretch alike, and a position is the by-target index key of the
   * last event taken in any of them, so a cursor resumes in whichever stretch holds its event.
   * The answer is the same as the index alone would give (test/adapters/dynamodb/audit-digests.test.ts).
   */
  private async *walkWithDigests(
    span: DigestSpan,
    plan: PartitionPlan,
    filter: AuditFilter,
    start: Position,
    batch: number,
    stream: boolean,
  ): AsyncGenerator<{ event: AuditEvent; after: Position }> {
    const afterSpan = dayStart(nextDay(span.through));
    const spanStart = dayStart(span.since);
    // The cursor's event, by its sort key (`at#chain#seq`), which compares with a bare time as
    // its `at` does: the answer resumes strictly below it.
    const cursorKey = start.key?.sortKey;
    if (start.key !== undefined && typeof cursorKey !== 'string') {
      throw new ValidationError('The page cursor is not valid.');
    }
    const resumeBelow = cursorKey as string | undefined;
    const below = (time: string) => resumeBelow === undefined || resumeBelow > time;
    const inRange = (fromTime: string | undefined, toTime: string | undefined) =>
      fromTime === undefined || toTime === undefined || fromTime < toTime;

    // The span's days, newest first (from below the cursor, when it is there).
    const newest = earlierOf(filter.to, afterSpan, resumeBelow);
    const oldest = laterOf(filter.from, spanStart);
    // A sort key's day is its own; a bare time bounds from above, so its day is the one before it ends.
    const newestDay =
      newest.length > 24 ? newest.slice(0, 10) : new Date(Date.parse(newest) - 1).toISOString().slice(0, 10);
    const digestReader = this.digestReader as AuditDigestReader;
    const digests =
      newest > oldest
        ? digestReader.readTarget(plan.keyValue, newestDay, oldest.slice(0, 10))[Symbol.asyncIterator]()
        : undefined;
    // A stream takes every event, so the digests' first page is asked for while the index gives
    // the days after the span; a page may end before it needs them, so it waits.
    const nextDigest = stream ? digests?.next() : undefined;
    nextDigest?.catch(() => undefined);
    try {
      // After the span: from the day after it on (and from the cursor, when it is there).
      const afterFrom = laterOf(filter.from, afterSpan);
      if (below(afterSpan) && inRange(afterFrom, filter.to)) {
        yield* this.walkIndex(plan, { ...filter, from: afterFrom }, start, batch, stream);
      }
      // The span's days, each day's events in the index's order.
      for (
        let read = digests ? await (nextDigest ?? digests.next()) : undefined;
        read !== undefined && read.done !== true;
        read = await (digests as AsyncIterator<DayDigest>).next()
      ) {
        for (const event of read.value.events) {
          const sortKey = sortKeyOf(event);
          if (resumeBelow !== undefined && sortKey >= resumeBelow) continue;
          if (!matchesAuditFilter(event, filter) || this.withheld(event)) continue;
          yield {
            event,
            after: { key: { chain: event.chain, seq: event.seq, sortKey, targetId: plan.keyValue } },
          };
        }
      }
    } finally {
      // A reader that stopped early leaves the digests' read: it ends after its request.
      void digests?.return?.(undefined).catch(() => undefined);
    }

    // Before the span: up to its first day (from the cursor, when it is there).
    const beforeTo = earlierOf(filter.to, spanStart);
    if (inRange(filter.from, beforeTo)) {
      const resumes = resumeBelow !== undefined && resumeBelow < spanStart;
      yield* this.walkIndex(plan, { ...filter, to: beforeTo }, resumes ? start : {}, batch, stream);
    }
  }

  /** The plan's answer from its index alone. */
  private async *walkIndex(
    plan: Plan,
    filter: AuditFilter,
    start: Position,
    batch: number,
    stream: boolean,
  ): AsyncGenerator<{ event: AuditEvent; after: Position }> {
    const residual = residualFilter(plan, filter);
    // A plain page reads one request at a time (see AuditReadOptions.spreadPlainPages).
    const spread = stream || residual.expression !== '' || this.readOptions.spreadPlainPages === true;
    const segments = segmentsOf(plan, filter, start, spread ? this.readOptions.slices : 1);
    const ranges = segments.map((segment) => ({
      ...(segment.startKey ? { startKey: segment.startKey } : {}),
      fetch: async (exclusiveStartKey: Record<string, unknown> | undefined) => {
        const { Items = [], LastEvaluatedKey } = await this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: plan.index,
            KeyConditionExpression: `#pk = :pk${segment.range.expression}`,
            ...(residual.expression ? { FilterExpression: residual.expression } : {}),
            ExpressionAttributeNames: { '#pk': segment.keyName, ...segment.range.names, ...residual.names },
            ExpressionAttributeValues: {
              ':pk': segment.keyValue,
              ...segment.range.values,
              ...residual.values,
            },
            ScanIndexForward: false,
            Limit: batch,
            ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
          }),
        );
        return {
          items: Items.map((item) => ({ item, segment })),
          ...(LastEvaluatedKey ? { next: LastEvaluatedKey } : {}),
        };
      },
    }));
    const window = !spread ? 1 : plan.kind === 'days' ? this.readOptions.window : segments.length;
    for await (const { item, segment } of readInOrder(ranges, { window, pipeline: stream })) {
      // The cursor's own item, read again by a slice's inclusive upper bound.
      if (segment.skipSortKey !== undefined && item.sortKey === segment.skipSortKey) continue;
      const event = itemToAuditEvent(item);
      if (this.withheld(event)) continue;
      yield {
        event,
        after: {
          ...(segment.day === undefined ? {} : { day: segment.day }),
          key: indexKeyOf(item, segment.keyName),
        },
      };
    }
  }

  /** Whether `event` is off its request's chain: then it is handed to `onMisplaced`, not answered. */
  private withheld(event: AuditEvent): boolean {
    const misplaced = misplacementOf(event, this.chainCount);
    if (misplaced) this.onMisplaced(misplaced);
    return misplaced !== undefined;
  }

  async readChainEnds(chain: string): Promise<ChainEnds> {
    return new DynamoAuditLog(this.doc, this.tableName, this.chainCount).readChainEnds(chain);
  }

  async *readDay(day: string): AsyncIterable<StoredEventRef> {
    let exclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const { Items = [], LastEvaluatedKey } = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: AUDIT_INDEX.byDay,
          KeyConditionExpression: '#day = :day',
          ProjectionExpression: '#chain, #seq, requestId',
          ExpressionAttributeNames: { '#day': 'day', '#chain': 'chain', '#seq': 'seq' },
          ExpressionAttributeValues: { ':day': day },
          Limit: STREAM_BATCH,
          ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
        }),
      );
      for (const item of Items) {
        yield { chain: item.chain as string, seq: item.seq as number, requestId: item.requestId as unknown };
      }
      exclusiveStartKey = LastEvaluatedKey;
    } while (exclusiveStartKey);
  }

  async *readChain(chain: string): AsyncIterable<AuditEvent> {
    let exclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const { Items = [], LastEvaluatedKey } = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#chain = :chain AND #seq > :head',
          ExpressionAttributeNames: { '#chain': 'chain', '#seq': 'seq' },
          ExpressionAttributeValues: { ':chain': chain, ':head': HEAD_SEQ },
          ConsistentRead: true,
          Limit: STREAM_BATCH,
          ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
        }),
      );
      for (const item of Items) yield itemToAuditEvent(item);
      exclusiveStartKey = LastEvaluatedKey;
    } while (exclusiveStartKey);
  }
}

/** Chooses the index for a filter; see the module comment for the order. */
export function planFor(filter: AuditFilter, now: Date): Plan {
  // `to` is exclusive: the newest day is the one holding the last millisecond before it.
  // With no `to`, a day past `now` tolerates writers whose clocks run slightly ahead.
  const newest =
    filter.to === undefined ? new Date(now.getTime() + DAY_MS) : new Date(Date.parse(filter.to) - 1);
  const partition = (index: string, keyName: string, keyValue: string, large = false): Plan => ({
    kind: 'partition',
    index,
    keyName,
    keyValue,
    large,
    until: filter.to ?? newest.toISOString(),
  });
  if (filter.requestId !== undefined) return partition(AUDIT_INDEX.byRequest, 'requestId', filter.requestId);
  if (filter.subject !== undefined) return partition(AUDIT_INDEX.bySubject, 'subject', filter.subject);
  if (filter.targetId !== undefined)
    return partition(AUDIT_INDEX.byTarget, 'targetId', filter.targetId, true);
  if (filter.breakGlass === true) return partition(AUDIT_INDEX.byBreakGlass, 'breakGlassKey', 'BREAK_GLASS');
  if (filter.status !== undefined) return partition(AUDIT_INDEX.byStatus, 'toStatus', filter.status, true);
  if (filter.from === undefined) {
    throw new ValidationError('A query over all events needs a start time (from).');
  }
  return {
    kind: 'days',
    index: AUDIT_INDEX.byDay,
    newestDay: newest.toISOString().slice(0, 10),
    oldestDay: filter.from.slice(0, 10),
  };
}

/** The filters the chosen partition does not already guarantee. */
function residualFilter(plan: Plan, filter: AuditFilter) {
  const conditions: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const add = (attribute: string, value: unknown) => {
    if (value === undefined) return;
    if (plan.kind === 'partition' && plan.keyName === attribute) return;
    const n = conditions.length;
    conditions.push(`#f${n} = :f${n}`);
    names[`#f${n}`] = attribute;
    values[`:f${n}`] = value;
  };
  add('requestId', filter.requestId);
  add('subject', filter.subject);
  add('targetId', filter.targetId);
  add('toStatus', filter.status);
  // The sparse break-glass index guarantees breakGlass = true; `false` is always a filter.
  if (!(plan.kind === 'partition' && plan.keyName === 'breakGlassKey')) add('breakGlass', filter.breakGlass);
  return { expression: conditions.join(' AND '), names, values };
}

function hasResidualFilter(plan: Plan, filter: AuditFilter): boolean {
  return residualFilter(plan, filter).expression !== '';
}

/** `from` inclusive, `to` exclusive, on `at#chain#seq`: `at < to` exactly when `at#... < to`. */
function rangeCondition(filter: AuditFilter): RangeCondition {
  const names = { '#sk': 'sortKey' };
  if (filter.from !== undefined && filter.to !== undefined) {
    return {
      expression: ' AND #sk BETWEEN :from AND :to',
      names,
      values: { ':from': filter.from, ':to': filter.to },
    };
  }
  if (filter.from !== undefined)
    return { expression: ' AND #sk >= :from', names, values: { ':from': filter.from } };
  if (filter.to !== undefined) return { expression: ' AND #sk < :to', names, values: { ':to': filter.to } };
  return { expression: '', names: {}, values: {} };
}

/** A key condition on the sort key, as an expression fragment with its names and values. */
interface RangeCondition {
  readonly expression: string;
  readonly names: Record<string, string>;
  readonly values: Record<string, unknown>;
}

/** One query's worth of a walk: a partition, a sort-key range and where it resumes. */
interface Segment {
  /** The day partition (day walks only). */
  readonly day?: string;
  readonly keyName: string;
  readonly keyValue: string;
  readonly range: RangeCondition;
  readonly startKey?: Record<string, unknown>;
  /** A cursor's own item, which the segment's inclusive upper bound reads again. */
  readonly skipSortKey?: string;
}

/**
 * The queries of a walk, newest first. A day walk: one per day. A large partition with a time
 * range of an hour or more: `slices` equal time slices, each `BETWEEN` its lower and upper
 * bound (a sort key `at#chain#seq` never equals a bare time, so a time bound is exclusive
 * above and inclusive below); resuming from a cursor, the slices cover `from` up to the
 * cursor's sort key. Anything else: one query, resuming at the cursor's key.
 */
function segmentsOf(plan: Plan, filter: AuditFilter, start: Position, slices: number): Segment[] {
  if (plan.kind === 'days') {
    return daysBetween(start.day ?? plan.newestDay, plan.oldestDay).map((day, i) => ({
      day,
      keyName: 'day',
      keyValue: day,
      range: rangeCondition(filter),
      ...(i === 0 && start.key ? { startKey: start.key } : {}),
    }));
  }
  const whole: Segment = {
    keyName: plan.keyName,
    keyValue: plan.keyValue,
    range: rangeCondition(filter),
    ...(start.key ? { startKey: start.key } : {}),
  };
  if (!plan.large || filter.from === undefined || slices < 2) return [whole];
  let resumeAt: string | undefined;
  if (start.key !== undefined) {
    const sortKey = start.key.sortKey;
    if (typeof sortKey !== 'string') throw new ValidationError('The page cursor is not valid.');
    resumeAt = sortKey;
  }
  const upper = resumeAt ?? filter.to ?? plan.until;
  const lowMs = Date.parse(filter.from);
  const highMs = Date.parse(upper.slice(0, 24));
  if (!(highMs - lowMs >= MIN_SLICED_RANGE_MS)) return [whole];
  // Bounds from newest to oldest: upper, the cut points, from.
  const cuts = Array.from({ length: slices - 1 }, (_, i) =>
    new Date(highMs - Math.round(((i + 1) * (highMs - lowMs)) / slices)).toISOString(),
  );
  const bounds = [upper, ...cuts, filter.from];
  // With neither `to` nor a cursor the newest slice stays open above, like an unsliced read.
  const openAbove = resumeAt === undefined && filter.to === undefined;
  return cuts.concat(filter.from).map((low, i) => ({
    keyName: plan.keyName,
    keyValue: plan.keyValue,
    range:
      i === 0 && openAbove
        ? { expression: ' AND #sk >= :lo', names: { '#sk': 'sortKey' }, values: { ':lo': low } }
        : {
            expression: ' AND #sk BETWEEN :lo AND :hi',
            names: { '#sk': 'sortKey' },
            values: { ':lo': low, ':hi': bounds[i] as string },
          },
    ...(i === 0 && resumeAt !== undefined ? { skipSortKey: resumeAt } : {}),
  }));
}

/** Whether `day` is one of the days a day walk of `plan` reads (never, for a partition read). */
function dayInPlan(day: string, plan: Plan): boolean {
  return plan.kind === 'days' && day >= plan.oldestDay && day <= plan.newestDay;
}

/** The ExclusiveStartKey that resumes a GSI read right after `item`. */
function indexKeyOf(item: Record<string, unknown>, keyName: string): Record<string, string | number> {
  return {
    chain: item.chain as string,
    seq: item.seq as number,
    sortKey: item.sortKey as string,
    [keyName]: item[keyName] as string,
  };
}

/** Binds a cursor to its filter, so it cannot be replayed against a different query. */
function fingerprintOf(filter: AuditFilter): string {
  return createHash('sha256').update(canonicalJson(filter)).digest('base64url').slice(0, 16);
}

function encodePosition(position: Position, fingerprint: string): string {
  const value = {
    v: 1,
    q: fingerprint,
    ...(position.day === undefined ? {} : { d: position.day }),
    ...(position.key === undefined ? {} : { k: position.key }),
  };
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function decodePosition(cursor: string, fingerprint: string, plan: Plan): Position {
  let parsed: z.infer<typeof cursorSchema>;
  try {
    parsed = cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch (error) {
    throw new ValidationError('The page cursor is not valid.', { cause: error });
  }
  if (parsed.q !== fingerprint) {
    throw new ValidationError('The page cursor belongs to a different query; repeat the same filters.');
  }
  // Why: the cursor is client-held; a forged day outside the planned range would make one
  // request walk any number of empty day partitions (or resume a partition read on a day).
  if (parsed.d !== undefined && !dayInPlan(parsed.d, plan)) {
    throw new ValidationError('The page cursor is not valid.');
  }
  return {
    ...(parsed.d === undefined ? {} : { day: parsed.d }),
    ...(parsed.k === undefined ? {} : { key: parsed.k }),
  };
}

/** The later of two times (or sort keys); undefined stands for no bound below. */
function laterOf(a: string | undefined, b: string): string {
  return a === undefined || b > a ? b : a;
}

/** The earliest of the given times (or sort keys); undefined stands for no bound above. */
function earlierOf(...values: (string | undefined)[]): string {
  const given = values.filter((v): v is string => v !== undefined);
  return given.reduce((a, b) => (b < a ? b : a));
}
