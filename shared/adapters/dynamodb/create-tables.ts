import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { AUDIT_TABLE, createTableInput, REQUESTS_TABLE, type TableNames } from './tables.js';

/**
 * Creates the broker's tables from the shared definitions if they do not exist
 * (tests and the local runner; in AWS the CDK stack creates them).
 */
export async function ensureTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  for (const [definition, name] of [
    [REQUESTS_TABLE, names.requests],
    [AUDIT_TABLE, names.audit],
  ] as const) {
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
  for (const name of [names.requests, names.audit]) {
    try {
      await client.send(new DeleteTableCommand({ TableName: name }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  }
}
