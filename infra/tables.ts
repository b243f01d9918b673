import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import type { KeyDefinition, TableDefinition } from '../shared/adapters/dynamodb/tables.js';

const ATTRIBUTE_TYPES = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
} as const;

function attribute(key: KeyDefinition): dynamodb.Attribute {
  return { name: key.name, type: ATTRIBUTE_TYPES[key.type] };
}

/**
 * Builds a table from its shared definition (keys, GSIs and TTL are data in
 * shared/adapters/dynamodb/tables.ts, never retyped here). Every table is on-demand,
 * encrypted, point-in-time recoverable, deletion-protected and retained on stack removal:
 * the audit trail must survive a mistaken `cdk destroy`.
 */
export function tableFromDefinition(
  scope: Construct,
  id: string,
  definition: TableDefinition,
  options: {
    /** A stream of the table's changes (an in-place update of an existing table, no replacement). */
    readonly stream?: dynamodb.StreamViewType;
    /** Point-in-time recovery; default on. Off only for items that must not outlive their TTL in backups. */
    readonly pointInTimeRecovery?: boolean;
  } = {},
): dynamodb.Table {
  const table = new dynamodb.Table(scope, id, {
    partitionKey: attribute(definition.partitionKey),
    ...(definition.sortKey ? { sortKey: attribute(definition.sortKey) } : {}),
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: options.pointInTimeRecovery ?? true },
    deletionProtection: true,
    removalPolicy: RemovalPolicy.RETAIN,
    ...(definition.ttlAttribute ? { timeToLiveAttribute: definition.ttlAttribute } : {}),
    ...(options.stream ? { stream: options.stream } : {}),
  });
  for (const index of definition.indexes) {
    table.addGlobalSecondaryIndex({
      indexName: index.indexName,
      partitionKey: attribute(index.partitionKey),
      ...(index.sortKey ? { sortKey: attribute(index.sortKey) } : {}),
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }
  return table;
}

/**
 * The ARNs a grant on `table` must name: the table and each of its indexes by name (from the
 * definition), so no policy needs an `index/*` wildcard.
 */
export function tableAndIndexArns(table: dynamodb.ITable, definition: TableDefinition): string[] {
  return [table.tableArn, ...definition.indexes.map((i) => `${table.tableArn}/index/${i.indexName}`)];
}
