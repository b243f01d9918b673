import {
  GetCommand,
  TransactGetCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import {
  chainFor,
  GENESIS_HASH,
  sealEvent,
  type AuditEvent,
  type AuditEventInput,
} from '../../domain/audit.js';
import { BrokerError } from '../../domain/errors.js';
import type { AuditLog } from '../../domain/ports.js';
import { checkSchemaVersion, SCHEMA_ATTRIBUTE, stampSchema } from './item-schema.js';
import { AUDIT_CHAIN_COUNT } from './tables.js';
import { cancellationCodes, contentionPause } from './transactions.js';

type TransactItem = NonNullable<
  ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']
>[number];

/** Sort key 0 of each chain holds its head: the last seq and hash. */
export const HEAD_SEQ = 0;

/**
 * The manifest entry of a chain: a copy of its end (`lastSeq`, `lastHash`) written in the same
 * transaction as every append, kept at `manifest#<chain>` / 0. Why a partition of its own:
 * deleting a chain's items by partition key (events and head) leaves it behind, so `verify`
 * tells a deleted or truncated chain from one never used. One item per chain, not one for the
 * whole trail, so that the chains' writers do not contend on it. It carries none of the
 * index keys, so no query ever returns it.
 */
export function manifestKeyOf(chain: string): { chain: string; seq: number } {
  return { chain: `manifest#${chain}`, seq: HEAD_SEQ };
}

/** A chain's end as its head item and its manifest entry record it (no manifest: legacy or unused). */
export interface ChainEnds {
  readonly head: { seq: number; hash: string };
  readonly manifest?: { seq: number; hash: string };
}

const INDEX_ONLY_ATTRIBUTES = ['sortKey', 'day', 'breakGlassKey'] as const;

/** The by-target (and every other) index's sort key of an event: `at#chain#seq`, seq zero-padded. */
export function sortKeyOf(event: Pick<AuditEvent, 'at' | 'chain' | 'seq'>): string {
  return `${event.at}#${event.chain}#${String(event.seq).padStart(12, '0')}`;
}

/** The index keys an event's item must carry: derived from the event, never hashed. */
function indexKeysOf(event: Pick<AuditEvent, 'at' | 'chain' | 'seq' | 'breakGlass'>) {
  return {
    sortKey: sortKeyOf(event),
    day: event.at.slice(0, 10),
    ...(event.breakGlass ? { breakGlassKey: 'BREAK_GLASS' } : {}),
  } as Partial<Record<(typeof INDEX_ONLY_ATTRIBUTES)[number], string>>;
}

/**
 * The stored item of an event: the event plus the keys its query indexes need, stamped with
 * the schema version of this release (how to read the item; not hashed, like the index keys).
 */
export function auditEventToItem(event: AuditEvent): Record<string, unknown> {
  return stampSchema({ ...event, ...indexKeysOf(event) });
}

/**
 * The event of a stored item, exactly as it was hashed. Index keys that agree with the
 * event are dropped; one that disagrees (or is missing) is kept as content, so the event's
 * hash no longer matches: editing `day`, `sortKey` or `breakGlassKey` would otherwise hide
 * an event from auditors' queries without touching anything the hash covers.
 */
export function itemToAuditEvent(item: Record<string, unknown>): AuditEvent {
  checkSchemaVersion(item[SCHEMA_ATTRIBUTE], () => `Audit event ${String(item.chain)}#${String(item.seq)}`);
  const expected =
    typeof item.at === 'string' && typeof item.chain === 'string' && typeof item.seq === 'number'
      ? indexKeysOf({ at: item.at, chain: item.chain, seq: item.seq, breakGlass: item.breakGlass === true })
      : {};
  // One pass that copies what the event holds, rather than a copy and then `delete`s: an
  // object with deleted properties turns into a slow dictionary for everything that reads it
  // after (the API's JSON, the export, `verify`'s hashing), and an audit answer is thousands.
  const event: Record<string, unknown> = {};
  for (const key of Object.keys(item)) {
    if (key === SCHEMA_ATTRIBUTE) continue;
    if (!isIndexOnly(key)) event[key] = item[key];
    else if (item[key] !== expected[key]) event[key] = item[key] ?? null;
  }
  for (const key of INDEX_ONLY_ATTRIBUTES)
    if (!(key in item) && expected[key] !== undefined) event[key] = null;
  return event as unknown as AuditEvent;
}

const isIndexOnly = (key: string): key is (typeof INDEX_ONLY_ATTRIBUTES)[number] =>
  (INDEX_ONLY_ATTRIBUTES as readonly string[]).includes(key);

export class AuditWriteError extends BrokerError {
  static {
    this.prototype.name = 'AuditWriteError';
  }

  constructor(message: string, cause?: unknown) {
    super('AUDIT_WRITE_FAILED', message, { cause });
  }
}

/** The outcome of writing an event together with other items. */
export type AtomicAppendResult =
  | { readonly ok: true; readonly event: AuditEvent }
  /** One of the caller's own items failed its condition; `index` is its position in `writes`. */
  | { readonly ok: false; readonly index: number };

const MAX_ATTEMPTS = 25;

/**
 * The audit trail in DynamoDB. Appending reads the chain head, seals the event with the
 * head's hash, and writes event + new head + the chain's manifest entry in one transaction
 * conditional on the head (and the manifest) not having moved; on contention it re-reads and tries again. Callers that must change state
 * atomically with their audit event pass their own conditional writes to {@link appendWith}.
 *
 * Throughput (the sweeper ends hundreds of grants at once over eight chains): this instance's
 * appends to one chain run one after the other, so they never conflict with each other on the
 * head, and the head this instance last wrote is reused for `headCacheMs` instead of being
 * read again. Neither weakens anything: every append stays conditional on the head it sealed
 * against, so a head moved by another writer (or a stale cached one) fails the transaction,
 * drops the cached head, and the append re-reads and tries again as before.
 */
export class DynamoAuditLog implements AuditLog {
  /** The head this instance last wrote (or read) per chain, and when (ms, monotonic). */
  private readonly heads = new Map<string, { seq: number; hash: string; at: number }>();
  /** The last append queued per chain: the next one starts when it settles. */
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly chainCount: number = AUDIT_CHAIN_COUNT,
    /** How long a head this instance wrote is trusted without a read (0: always read). */
    private readonly headCacheMs: number = 2000,
  ) {}

  async append(input: AuditEventInput): Promise<AuditEvent> {
    const result = await this.appendWith(input, []);
    if (!result.ok) throw new AuditWriteError('Audit append failed unexpectedly.');
    return result.event;
  }

  /**
   * Writes `writes` and the audit event in one transaction. If one of `writes` fails its
   * condition nothing is written and its index is returned; chain-head contention is retried.
   */
  async appendWith(input: AuditEventInput, writes: readonly TransactItem[]): Promise<AtomicAppendResult> {
    const chain = chainFor(input.requestId, this.chainCount);
    return this.oneAtATime(chain, () => this.appendToChain(chain, input, writes));
  }

  /** Runs `append` after this instance's appends to `chain` queued before it have settled. */
  private oneAtATime<T>(chain: string, append: () => Promise<T>): Promise<T> {
    const before = this.tails.get(chain) ?? Promise.resolve();
    const run = before.then(append, append);
    const tail = run.catch(() => undefined);
    this.tails.set(chain, tail);
    void tail.then(() => {
      if (this.tails.get(chain) === tail) this.tails.delete(chain);
    });
    return run;
  }

  /** The head to seal against: the one this instance wrote last if recent, else read. */
  private async headFor(chain: string): Promise<{ seq: number; hash: string }> {
    const cached = this.heads.get(chain);
    if (cached && performance.now() - cached.at < this.headCacheMs) return cached;
    return this.readHead(chain);
  }

  private async appendToChain(
    chain: string,
    input: AuditEventInput,
    writes: readonly TransactItem[],
  ): Promise<AtomicAppendResult> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const head = await this.headFor(chain);
      const event = sealEvent(input, chain, head);
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [...writes, ...this.eventWrites(event, head)],
          }),
        );
        this.heads.set(chain, { seq: event.seq, hash: event.hash, at: performance.now() });
        return { ok: true, event };
      } catch (error) {
        const codes = cancellationCodes(error);
        // Why: whatever else happened, the head may have moved (or this write may have
        // landed): the next append reads it.
        if (!codes || codes.slice(writes.length).some((c) => c !== 'None')) this.heads.delete(chain);
        if (!codes) throw new AuditWriteError('Writing an audit event failed.', error);
        const ownFailure = codes.slice(0, writes.length).findIndex((c) => c === 'ConditionalCheckFailed');
        if (ownFailure >= 0) return { ok: false, index: ownFailure };
        const [eventCode, headCode, manifestCode] = codes.slice(writes.length);
        // Why: the head was as read yet the manifest disagrees: the chain was deleted or
        // rewritten behind the broker's back. Appending would bury that; refuse instead.
        if (manifestCode === 'ConditionalCheckFailed' && eventCode === 'None' && headCode === 'None') {
          throw new AuditWriteError(
            `Audit chain ${chain}: its manifest entry disagrees with its head (deleted or rewritten); run verify.`,
          );
        }
        // The head moved (another writer on this chain) or a transaction conflict: try again.
        await contentionPause(attempt);
      }
    }
    throw new AuditWriteError(`Audit chain ${chain} stayed contended after ${MAX_ATTEMPTS} attempts.`);
  }

  /** The head of a chain: its last seq and hash (seq 0 and the genesis hash when empty). */
  async readHead(chain: string): Promise<{ seq: number; hash: string }> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { chain, seq: HEAD_SEQ }, ConsistentRead: true }),
    );
    return Item
      ? { seq: Item.headSeq as number, hash: Item.headHash as string }
      : { seq: 0, hash: GENESIS_HASH };
  }

  /**
   * A chain's head and its manifest entry, read in one transaction so that both come from
   * the same moment (an append changes both at once).
   */
  async readChainEnds(chain: string): Promise<ChainEnds> {
    const { Responses = [] } = await this.doc.send(
      new TransactGetCommand({
        TransactItems: [
          { Get: { TableName: this.tableName, Key: { chain, seq: HEAD_SEQ } } },
          { Get: { TableName: this.tableName, Key: manifestKeyOf(chain) } },
        ],
      }),
    );
    const [head, manifest] = Responses.map((r) => r?.Item);
    return {
      head: head
        ? { seq: head.headSeq as number, hash: head.headHash as string }
        : { seq: 0, hash: GENESIS_HASH },
      ...(manifest
        ? { manifest: { seq: manifest.lastSeq as number, hash: manifest.lastHash as string } }
        : {}),
    };
  }

  private eventWrites(event: AuditEvent, head: { seq: number; hash: string }): TransactItem[] {
    return [
      {
        Put: {
          TableName: this.tableName,
          Item: auditEventToItem(event),
          ConditionExpression: 'attribute_not_exists(seq)',
        },
      },
      {
        Update: {
          TableName: this.tableName,
          Key: { chain: event.chain, seq: HEAD_SEQ },
          UpdateExpression: 'SET headSeq = :seq, headHash = :hash',
          ConditionExpression:
            head.seq === 0 ? 'attribute_not_exists(headSeq)' : 'headSeq = :prevSeq AND headHash = :prevHash',
          ExpressionAttributeValues: {
            ':seq': event.seq,
            ':hash': event.hash,
            ...(head.seq === 0 ? {} : { ':prevSeq': head.seq, ':prevHash': head.hash }),
          },
        },
      },
      {
        Update: {
          TableName: this.tableName,
          Key: manifestKeyOf(event.chain),
          UpdateExpression: 'SET lastSeq = :seq, lastHash = :hash',
          // A chain written before manifests were kept has a head but no entry yet: its next
          // append creates it. A new chain must have none (else the chain was deleted).
          ConditionExpression:
            head.seq === 0
              ? 'attribute_not_exists(lastSeq)'
              : 'attribute_not_exists(lastSeq) OR (lastSeq = :prevSeq AND lastHash = :prevHash)',
          ExpressionAttributeValues: {
            ':seq': event.seq,
            ':hash': event.hash,
            ...(head.seq === 0 ? {} : { ':prevSeq': head.seq, ':prevHash': head.hash }),
          },
        },
      },
    ];
  }
}

export type { TransactItem };
