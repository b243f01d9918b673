import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditEventInput } from '../../domain/audit.js';
import { BrokerError, NotFoundError } from '../../domain/errors.js';
import { isLive } from '../../domain/lifecycle.js';
import type {
  Annotation,
  Page,
  PageOptions,
  RequestStore,
  Transition,
  TransitionResult,
} from '../../domain/ports.js';
import { applyTransition, dueAt, type AccessRequest } from '../../domain/request.js';
import type { DynamoAuditLog, TransactItem } from './audit-log.js';
import { decodeCursor, encodeCursor, pageLimit } from './cursor.js';
import { ITEM_SCHEMA_VERSION, SCHEMA_ATTRIBUTE, stampSchema, unstampSchema } from './item-schema.js';
import { REQUEST_INDEX } from './tables.js';

const PENDING_ALL = 'PENDING';
const LIVE_ALL = 'LIVE';
const UNREVIEWED = 'BREAK_GLASS';
const IDEMPOTENCY_PREFIX = 'idem#';
/** Id prefix of the Slack subscriber's message items (shared/adapters/slack/message-store.ts). */
export const SLACK_MESSAGES_PREFIX = 'slack-messages#';
/** Items of the requests table that are not requests: `get` never returns them. */
const NOT_A_REQUEST_PREFIXES = [IDEMPOTENCY_PREFIX, SLACK_MESSAGES_PREFIX] as const;

/**
 * Attributes derived from the request for the indexes. `windowEndsAt` keeps a live grant's
 * window end while its `endsAt` attribute (the live-by-end index's sort key) holds the time it
 * is due instead: an early end requested moves it to the request time, so the sweeper's
 * "due by now" query finds the grant without a new index or a scan (see requestToItem).
 */
const INDEX_ONLY_ATTRIBUTES = [
  'pendingTarget',
  'pendingAll',
  'liveAll',
  'liveKey',
  'unreviewed',
  'windowEndsAt',
] as const;

/** The live-grant key of a principal on a target (for overlapping grants). */
export function liveKeyOf(principal: string, targetId: string): string {
  return `${principal}#${targetId}`;
}

/**
 * The stored item: the request plus the sparse index keys its status calls for, stamped with
 * the schema version of this release (item-schema.ts). A live grant
 * with an early end requested is stored with `endsAt` = when it is due (dueAt) and its window
 * end in `windowEndsAt`; itemToRequest puts the window back, so only the indexes see the move.
 */
export function requestToItem(request: AccessRequest): Record<string, unknown> {
  const item: Record<string, unknown> = { ...request };
  if (request.status === 'PENDING') {
    item.pendingTarget = request.targetId;
    item.pendingAll = PENDING_ALL;
  }
  if (isLive(request.status) && request.endsAt) {
    item.liveAll = LIVE_ALL;
    item.liveKey = liveKeyOf(request.principal, request.targetId);
    const due = dueAt(request);
    if (due !== request.endsAt) {
      item.endsAt = due;
      item.windowEndsAt = request.endsAt;
    }
  }
  if (request.breakGlass && !request.reviewedAt) item.unreviewed = UNREVIEWED;
  return stampSchema(item);
}

/**
 * A stored item as a request. Requests stored before delivery references left the lifecycle
 * record still carry `messages` (Slack's); they stay on the item for the Slack message store
 * to read and are never part of the request.
 */
export function itemToRequest(item: Record<string, unknown>): AccessRequest {
  const copy = unstampSchema(item, `Request ${String(item.id)}`);
  if (typeof copy.windowEndsAt === 'string') copy.endsAt = copy.windowEndsAt;
  for (const key of INDEX_ONLY_ATTRIBUTES) delete copy[key];
  delete copy.messages;
  return copy as unknown as AccessRequest;
}

/**
 * Requests and grants in DynamoDB. Every state change is a Put conditional on the status
 * and version the caller read, in one transaction with its audit event; see RequestStore.
 */
export class DynamoRequestStore implements RequestStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly audit: DynamoAuditLog,
  ) {}

  async create(
    request: AccessRequest,
    audit: AuditEventInput,
  ): Promise<{ created: boolean; request: AccessRequest }> {
    const writes: TransactItem[] = [
      {
        Put: {
          TableName: this.tableName,
          Item: requestToItem(request),
          ConditionExpression: 'attribute_not_exists(id)',
        },
      },
    ];
    if (request.idempotencyKey) {
      writes.push({
        Put: {
          TableName: this.tableName,
          Item: { id: IDEMPOTENCY_PREFIX + request.idempotencyKey, requestId: request.id },
          ConditionExpression: 'attribute_not_exists(id)',
        },
      });
    }
    const result = await this.audit.appendWith(audit, writes);
    if (result.ok) return { created: true, request };
    if (result.index === 1 && request.idempotencyKey) {
      const existing = await this.findByIdempotencyKey(request.idempotencyKey);
      if (existing) return { created: false, request: existing };
    }
    throw new BrokerError('DUPLICATE_ID', `Request id ${request.id} already exists.`);
  }

  private async findByIdempotencyKey(key: string): Promise<AccessRequest | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { id: IDEMPOTENCY_PREFIX + key },
        ConsistentRead: true,
      }),
    );
    return Item ? this.get(Item.requestId as string) : undefined;
  }

  async get(id: string): Promise<AccessRequest | undefined> {
    if (NOT_A_REQUEST_PREFIXES.some((prefix) => id.startsWith(prefix))) return undefined;
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { id }, ConsistentRead: true }),
    );
    return Item ? itemToRequest(Item) : undefined;
  }

  async transition(current: AccessRequest, transition: Transition): Promise<TransitionResult> {
    return this.write(current, transition);
  }

  async annotate(current: AccessRequest, annotation: Annotation): Promise<TransitionResult> {
    return this.write(current, annotation);
  }

  /**
   * The one conditional write behind transitions and annotations. It updates only what
   * changes (status, version, the changed fields and the derived index attributes), so
   * attributes it does not own (the Slack message references of older items) survive.
   */
  private async write(current: AccessRequest, change: Annotation | Transition) {
    // Throws IllegalTransitionError before anything is written: the lifecycle rule is the domain's.
    const next = applyTransition(current, change);
    const nextItem = requestToItem(next);
    const set: Record<string, unknown> = {
      status: next.status,
      version: next.version,
      updatedAt: next.updatedAt,
      ...change.changes,
      // Written in this release's shape from now on (an older item is read as its own).
      [SCHEMA_ATTRIBUTE]: ITEM_SCHEMA_VERSION,
    };
    // The stored `endsAt` is derived (the due time while an early end is pending).
    if (nextItem.endsAt !== undefined) set.endsAt = nextItem.endsAt;
    const remove: string[] = [];
    for (const key of INDEX_ONLY_ATTRIBUTES) {
      if (nextItem[key] === undefined) remove.push(key);
      else set[key] = nextItem[key];
    }
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {
      ':expectedStatus': current.status,
      ':expectedVersion': current.version,
    };
    const assignments = Object.entries(set)
      .filter(([, value]) => value !== undefined)
      .map(([key, value], i) => {
        names[`#s${i}`] = key;
        values[`:s${i}`] = value;
        return `#s${i} = :s${i}`;
      });
    const removals = remove.map((key, i) => {
      names[`#r${i}`] = key;
      return `#r${i}`;
    });
    names['#status'] = 'status';
    names['#version'] = 'version';
    const result = await this.audit.appendWith(change.audit, [
      {
        Update: {
          TableName: this.tableName,
          Key: { id: current.id },
          UpdateExpression: `SET ${assignments.join(', ')}${removals.length > 0 ? ` REMOVE ${removals.join(', ')}` : ''}`,
          ConditionExpression: '#status = :expectedStatus AND #version = :expectedVersion',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
      },
    ]);
    if (result.ok) return { ok: true as const, request: next };
    const now = await this.get(current.id);
    if (!now) throw new NotFoundError(`Request ${current.id}`);
    return { ok: false as const, reason: 'conflict' as const, current: now };
  }

  listByRequester(requester: string, options?: PageOptions): Promise<Page<AccessRequest>> {
    return this.query(REQUEST_INDEX.byRequester, 'requester', requester, false, options);
  }

  listPendingByTarget(targetId: string, options?: PageOptions): Promise<Page<AccessRequest>> {
    return this.query(REQUEST_INDEX.pendingByTarget, 'pendingTarget', targetId, true, options);
  }

  listPending(options?: PageOptions): Promise<Page<AccessRequest>> {
    return this.query(REQUEST_INDEX.pending, 'pendingAll', PENDING_ALL, true, options);
  }

  listLiveEndingBefore(before: Date, options?: PageOptions): Promise<Page<AccessRequest>> {
    return this.query(REQUEST_INDEX.liveByEnd, 'liveAll', LIVE_ALL, true, options, {
      expression: 'endsAt <= :before',
      values: { ':before': before.toISOString() },
    });
  }

  async listLiveFor(principal: string, targetId: string): Promise<readonly AccessRequest[]> {
    const out: AccessRequest[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.query(
        REQUEST_INDEX.liveByPrincipalTarget,
        'liveKey',
        liveKeyOf(principal, targetId),
        true,
        cursor === undefined ? { limit: 100 } : { limit: 100, cursor },
      );
      out.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    return out;
  }

  listUnreviewedBreakGlass(options?: PageOptions): Promise<Page<AccessRequest>> {
    return this.query(REQUEST_INDEX.unreviewedBreakGlass, 'unreviewed', UNREVIEWED, true, options);
  }

  private async query(
    indexName: string,
    keyName: string,
    keyValue: string,
    ascending: boolean,
    options: PageOptions | undefined,
    sortCondition?: { expression: string; values: Record<string, unknown> },
  ): Promise<Page<AccessRequest>> {
    const exclusiveStartKey = decodeCursor(options?.cursor);
    const { Items = [], LastEvaluatedKey } = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: indexName,
        KeyConditionExpression: `#pk = :pk${sortCondition ? ` AND ${sortCondition.expression}` : ''}`,
        ExpressionAttributeNames: { '#pk': keyName },
        ExpressionAttributeValues: { ':pk': keyValue, ...sortCondition?.values },
        ScanIndexForward: ascending,
        Limit: pageLimit(options?.limit),
        ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
      }),
    );
    const cursor = encodeCursor(LastEvaluatedKey);
    return cursor === undefined
      ? { items: Items.map(itemToRequest) }
      : { items: Items.map(itemToRequest), cursor };
  }
}
