import { gunzipSync, gzipSync } from 'node:zlib';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '../../domain/audit.js';
import {
  AuditDigestError,
  type AuditDigestStore,
  type DayDigest,
  isDay,
  type DigestSpan,
  spanOver,
  type UnreadableDigest,
} from '../../domain/audit-digest.js';
import { checkSchemaVersion, stampSchema, SCHEMA_ATTRIBUTE } from './item-schema.js';
import { isConditionalCheckFailure } from './transactions.js';

/** The key of the span item: a target id never starts with `#` (policy ids are `a-z0-9-`). */
export const DIGEST_SPAN_KEY = { targetId: '#span', part: '#' } as const;

/**
 * A part holds at most this much JSON before compression, so that even events that do not
 * compress stay well inside DynamoDB's 400 KB item limit (gzip adds a few bytes at worst).
 */
export const DIGEST_PART_JSON_BYTES = 256 * 1024;

/** A part never inflates past this: a corrupt or hostile item cannot exhaust the reader's memory. */
const MAX_PART_INFLATED_BYTES = 4 * DIGEST_PART_JSON_BYTES;

/** Pages of a digest read (a month of one target is about thirty items). */
const READ_BATCH = 100;

/**
 * The digests in their own table: one item per part (`part` = `YYYY-MM-DD#0000`), each holding
 * its events as gzip-compressed JSON, its index and the day's number of parts, so a reader can
 * tell a day whose parts do not add up. The span item is written after the day's digests, with
 * a condition on the span read, so two runs never both move it.
 */
export class DynamoAuditDigests implements AuditDigestStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async span(): Promise<DigestSpan | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: DIGEST_SPAN_KEY, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    checkSchemaVersion(Item[SCHEMA_ATTRIBUTE], () => 'The audit digest span');
    if (!isDay(Item.since) || !isDay(Item.through) || Item.since > Item.through) {
      throw new AuditDigestError('The audit digest span is not readable');
    }
    return { since: Item.since, through: Item.through };
  }

  readTarget(targetId: string, newestDay: string, oldestDay: string): AsyncIterable<DayDigest> {
    return this.daysOf(
      (exclusiveStartKey) =>
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'targetId = :t AND #part BETWEEN :oldest AND :newest',
          ExpressionAttributeNames: { '#part': 'part' },
          // `#` sorts before every digit, so `day#` … `day#~` holds every part of the day.
          ExpressionAttributeValues: {
            ':t': targetId,
            ':oldest': `${oldestDay}#`,
            ':newest': `${newestDay}#~`,
          },
          ScanIndexForward: false,
          Limit: READ_BATCH,
          ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
        }),
      decodeDay,
    );
  }

  async writeDay(day: string, digests: readonly DayDigest[]): Promise<void> {
    for (const digest of digests) {
      const parts = partsOf(digest.events);
      for (const [index, events] of parts.entries()) {
        await this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: stampSchema({
              targetId: digest.targetId,
              part: partKey(day, index),
              index,
              parts: parts.length,
              count: events.length,
              events: gzipSync(JSON.stringify(events)),
            }),
          }),
        );
      }
    }
  }

  async advance(previous: DigestSpan | undefined, day: string): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: stampSchema({ ...DIGEST_SPAN_KEY, ...spanOver(previous, day) }),
          ...(previous === undefined
            ? { ConditionExpression: 'attribute_not_exists(targetId)' }
            : {
                ConditionExpression: 'since = :since AND through = :through',
                ExpressionAttributeValues: { ':since': previous.since, ':through': previous.through },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }

  readAll(): AsyncIterable<DayDigest | UnreadableDigest> {
    return this.daysOf(
      (exclusiveStartKey) =>
        new ScanCommand({
          TableName: this.tableName,
          Limit: READ_BATCH,
          ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
        }),
      decodeOrProblem,
    );
  }

  /**
   * Every page of a read, its part items grouped into days (a target's day, its parts together:
   * a Query or Scan returns a partition's items together, in key order), each day decoded.
   * The span item is no day.
   */
  private async *daysOf<T>(
    command: (exclusiveStartKey: Record<string, unknown> | undefined) => QueryCommand | ScanCommand,
    decode: (targetId: string, day: string, parts: readonly Item[]) => T,
  ): AsyncIterable<T> {
    let exclusiveStartKey: Record<string, unknown> | undefined;
    let day: { targetId: string; day: string; parts: Item[] } | undefined;
    do {
      const { Items = [], LastEvaluatedKey } = await this.doc.send(command(exclusiveStartKey));
      for (const item of Items) {
        if (item.targetId === DIGEST_SPAN_KEY.targetId) continue;
        const targetId = String(item.targetId);
        const itemDay = String(item.part).slice(0, 10);
        if (day && (day.targetId !== targetId || day.day !== itemDay)) {
          yield decode(day.targetId, day.day, day.parts);
          day = undefined;
        }
        day ??= { targetId, day: itemDay, parts: [] };
        day.parts.push(item);
      }
      exclusiveStartKey = LastEvaluatedKey;
    } while (exclusiveStartKey);
    if (day) yield decode(day.targetId, day.day, day.parts);
  }
}

function decodeOrProblem(
  targetId: string,
  day: string,
  items: readonly Item[],
): DayDigest | UnreadableDigest {
  try {
    return decodeDay(targetId, day, items);
  } catch (error) {
    if (!(error instanceof AuditDigestError)) throw error;
    return { targetId, day, problem: error.message };
  }
}

type Item = Record<string, unknown>;

function partKey(day: string, index: number): string {
  return `${day}#${String(index).padStart(4, '0')}`;
}

/** Splits a day's events (newest first) into parts of at most DIGEST_PART_JSON_BYTES of JSON each. */
export function partsOf(events: readonly AuditEvent[]): AuditEvent[][] {
  const parts: AuditEvent[][] = [];
  let current: AuditEvent[] = [];
  let bytes = 2;
  for (const event of events) {
    const size = Buffer.byteLength(JSON.stringify(event)) + 1;
    if (current.length > 0 && bytes + size > DIGEST_PART_JSON_BYTES) {
      parts.push(current);
      current = [];
      bytes = 2;
    }
    current.push(event);
    bytes += size;
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

/**
 * One target's day from its part items (any order). Throws AuditDigestError unless the parts
 * are exactly 0 … n−1 of the n every part names, each decoding to its stated number of events.
 */
function decodeDay(targetId: string, day: string, items: readonly Item[]): DayDigest {
  const what = `The audit digest of ${targetId} on ${day}`;
  const total = items[0]?.parts;
  const ordered: Item[] = [];
  for (const item of items) {
    checkSchemaVersion(item[SCHEMA_ATTRIBUTE], () => what);
    const index = item.index;
    if (
      !isDay(day) ||
      typeof total !== 'number' ||
      item.parts !== total ||
      typeof index !== 'number' ||
      !Number.isInteger(index) ||
      index < 0 ||
      index >= total ||
      item.part !== partKey(day, index) ||
      ordered[index] !== undefined
    ) {
      throw new AuditDigestError(`${what} has parts that do not add up`);
    }
    ordered[index] = item;
  }
  if (typeof total !== 'number' || ordered.length !== total || ordered.includes(undefined as never)) {
    throw new AuditDigestError(`${what} is missing parts`);
  }
  const events: AuditEvent[] = [];
  for (const item of ordered) {
    let decoded: unknown;
    try {
      const packed = item.events;
      if (!(packed instanceof Uint8Array)) throw new TypeError('not binary');
      decoded = JSON.parse(gunzipSync(packed, { maxOutputLength: MAX_PART_INFLATED_BYTES }).toString('utf8'));
    } catch (error) {
      throw new AuditDigestError(`${what} does not decode`, { cause: error });
    }
    if (!Array.isArray(decoded) || decoded.length !== item.count) {
      throw new AuditDigestError(`${what} does not hold the events it counts`);
    }
    for (const event of decoded as AuditEvent[]) events.push(event);
  }
  return { targetId, day, events };
}
