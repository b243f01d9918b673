import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  AUDIT_DIGESTS_TABLE,
  AUDIT_TABLE,
  createTableInput,
  REQUESTS_TABLE,
  type TableDefinition,
  type TableNames,
} from './tables.js';

/**
 * Creates the broker's tables from the shared definitions if they do not exist
 * (tests and the local runner; in AWS the CDK stack creates them).
 */
export async function ensureTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  for (const [definition, name] of tablesOf(names)) {
    try {
      await client.send(new DescribeTableCommand({ TableName: name }));
      continue;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    try {
      await client.send(new CreateTableCommand(createTableInput(definition, name)));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
  }
}

export async function dropTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  for (const [, name] of tablesOf(names)) {
    try {
      await client.send(new DeleteTableCommand({ TableName: name }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  }
}

/** Each table `names` names, with its definition. */
function tablesOf(names: TableNames): (readonly [TableDefinition, string])[] {
  return [
    [REQUESTS_TABLE, names.requests],
    [AUDIT_TABLE, names.audit],
    ...(names.auditDigests === undefined ? [] : [[AUDIT_DIGESTS_TABLE, names.auditDigests] as const]),
  ];
}
