/**
 * The DynamoDB table definitions: the one source of truth that the CDK stack, the tests and
 * the local runner all build their tables from. Change a key or an index here only.
 */

export type AttributeType = 'S' | 'N';

export interface KeyDefinition {
  readonly name: string;
  readonly type: AttributeType;
}

export interface IndexDefinition {
  readonly indexName: string;
  readonly partitionKey: KeyDefinition;
  readonly sortKey?: KeyDefinition;
}

export interface TableDefinition {
  /** Logical name; the physical name comes from configuration (a prefix locally, CDK in AWS). */
  readonly logicalName: 'requests' | 'audit' | 'audit-digests' | 'credentials-mailbox';
  readonly partitionKey: KeyDefinition;
  readonly sortKey?: KeyDefinition;
  /** Global secondary indexes, all projecting ALL attributes. Most are sparse. */
  readonly indexes: readonly IndexDefinition[];
  readonly ttlAttribute?: string;
}

const S = (name: string): KeyDefinition => ({ name, type: 'S' });
const N = (name: string): KeyDefinition => ({ name, type: 'N' });

/** Index names of the requests table, imported by the store so they are never retyped. */
export const REQUEST_INDEX = {
  byRequester: 'by-requester',
  pendingByTarget: 'pending-by-target',
  pending: 'pending',
  liveByEnd: 'live-by-end',
  liveByPrincipalTarget: 'live-by-principal-target',
  unreviewedBreakGlass: 'unreviewed-break-glass',
} as const;

/**
 * Requests and grants: one item per request, keyed by id. Status-dependent index keys
 * (`pendingTarget`, `pendingAll`, `liveAll`, `liveKey`, `unreviewed`) exist only while the
 * request is in the matching state, so those indexes hold only what their query needs.
 */
export const REQUESTS_TABLE: TableDefinition = {
  logicalName: 'requests',
  partitionKey: S('id'),
  indexes: [
    { indexName: REQUEST_INDEX.byRequester, partitionKey: S('requester'), sortKey: S('createdAt') },
    { indexName: REQUEST_INDEX.pendingByTarget, partitionKey: S('pendingTarget'), sortKey: S('createdAt') },
    { indexName: REQUEST_INDEX.pending, partitionKey: S('pendingAll'), sortKey: S('createdAt') },
    { indexName: REQUEST_INDEX.liveByEnd, partitionKey: S('liveAll'), sortKey: S('endsAt') },
    { indexName: REQUEST_INDEX.liveByPrincipalTarget, partitionKey: S('liveKey'), sortKey: S('endsAt') },
    { indexName: REQUEST_INDEX.unreviewedBreakGlass, partitionKey: S('unreviewed'), sortKey: S('createdAt') },
  ],
};

/** Index names of the audit table. */
export const AUDIT_INDEX = {
  bySubject: 'by-subject',
  byTarget: 'by-target',
  byDay: 'by-day',
  byRequest: 'by-request',
  byStatus: 'by-status',
  byBreakGlass: 'by-break-glass',
} as const;

/**
 * The audit trail: partition = chain, sort = seq. Sort key 0 of each chain holds the
 * chain head (last seq and hash). Index sort keys are `at#chain#seq` (`sortKey`) so that
 * events of the same millisecond keep a stable, unique order.
 */
export const AUDIT_TABLE: TableDefinition = {
  logicalName: 'audit',
  partitionKey: S('chain'),
  sortKey: N('seq'),
  indexes: [
    { indexName: AUDIT_INDEX.bySubject, partitionKey: S('subject'), sortKey: S('sortKey') },
    { indexName: AUDIT_INDEX.byTarget, partitionKey: S('targetId'), sortKey: S('sortKey') },
    { indexName: AUDIT_INDEX.byDay, partitionKey: S('day'), sortKey: S('sortKey') },
    { indexName: AUDIT_INDEX.byRequest, partitionKey: S('requestId'), sortKey: S('sortKey') },
    { indexName: AUDIT_INDEX.byStatus, partitionKey: S('toStatus'), sortKey: S('sortKey') },
    { indexName: AUDIT_INDEX.byBreakGlass, partitionKey: S('breakGlassKey'), sortKey: S('sortKey') },
  ],
};

/**
 * The audit digests (shared/domain/audit-digest.ts): one target's events of one closed day,
 * compressed, in parts (`part` = `YYYY-MM-DD#0000`), plus the item of the span of days they
 * cover (targetId `#span`, which no target id can be). Derived from the audit table and checked
 * against it by `verify`; its own table so that the audit table stays append-only.
 */
export const AUDIT_DIGESTS_TABLE: TableDefinition = {
  logicalName: 'audit-digests',
  partitionKey: S('targetId'),
  sortKey: S('part'),
  indexes: [],
};

/**
 * The console's credentials mailbox in AWS (shared/adapters/dynamodb/credentials-mailbox.ts):
 * one short-lived item per ticket, removed by TTL (`expiresAt`, epoch seconds). Its own table
 * because the requests table has no TTL; not in TABLES (the local broker's mailbox is in memory).
 */
export const CREDENTIALS_MAILBOX_TABLE: TableDefinition = {
  logicalName: 'credentials-mailbox',
  partitionKey: S('ticket'),
  indexes: [],
  ttlAttribute: 'expiresAt',
};

/** How many hash chains the audit trail is split into (see shared/domain/audit.ts). */
export const AUDIT_CHAIN_COUNT = 8;

export const TABLES: readonly TableDefinition[] = [REQUESTS_TABLE, AUDIT_TABLE, AUDIT_DIGESTS_TABLE];

/** Physical table names, as the adapters receive them. */
export interface TableNames {
  readonly requests: string;
  readonly audit: string;
  /** Only where digests are written or read (the anchor function, audit readers, local runs). */
  readonly auditDigests?: string;
}

export function tableNamesWithPrefix(prefix: string): TableNames & { readonly auditDigests: string } {
  return { requests: `${prefix}requests`, audit: `${prefix}audit`, auditDigests: `${prefix}audit-digests` };
}

/** The CreateTable input for a definition (for DynamoDB Local and tests); CDK maps the same data. */
export function createTableInput(definition: TableDefinition, tableName: string) {
  const attributes = new Map<string, AttributeType>();
  const add = (k?: KeyDefinition) => {
    if (k) attributes.set(k.name, k.type);
  };
  add(definition.partitionKey);
  add(definition.sortKey);
  definition.indexes.forEach((i) => {
    add(i.partitionKey);
    add(i.sortKey);
  });
  const keySchema = (pk: KeyDefinition, sk?: KeyDefinition) => [
    { AttributeName: pk.name, KeyType: 'HASH' as const },
    ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType,
    })),
    KeySchema: keySchema(definition.partitionKey, definition.sortKey),
    // DynamoDB refuses an empty index list: a table without indexes names none.
    ...(definition.indexes.length === 0
      ? {}
      : {
          GlobalSecondaryIndexes: definition.indexes.map((i) => ({
            IndexName: i.indexName,
            KeySchema: keySchema(i.partitionKey, i.sortKey),
            Projection: { ProjectionType: 'ALL' as const },
          })),
        }),
  };
}
