import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, inject } from 'vitest';
import { DynamoAuditLog } from '../../shared/adapters/dynamodb/audit-log.js';
import { dropTables, ensureTables } from '../../shared/adapters/dynamodb/create-tables.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../shared/adapters/dynamodb/local-server.js';
import { DynamoRequestStore } from '../../shared/adapters/dynamodb/request-store.js';
import { tableNamesWithPrefix, type TableNames } from '../../shared/adapters/dynamodb/tables.js';

export interface LocalTables {
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly names: TableNames;
  readonly audit: DynamoAuditLog;
  readonly requests: DynamoRequestStore;
}

/** A DynamoDB client pointed at the run's DynamoDB Local. */
export function localDynamoClient(): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: inject('dynamoEndpoint'),
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 3,
  });
}

/** Creates fresh tables (unique names) for one test and drops them afterwards. */
export async function createLocalTables(): Promise<LocalTables & { drop(): Promise<void> }> {
  const client = localDynamoClient();
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const names = tableNamesWithPrefix(`t${randomUUID().slice(0, 8)}-`);
  await ensureTables(client, names);
  const audit = new DynamoAuditLog(doc, names.audit);
  const requests = new DynamoRequestStore(doc, names.requests, audit);
  return {
    client,
    doc,
    names,
    audit,
    requests,
    async drop() {
      await dropTables(client, names);
      client.destroy();
    },
  };
}

/**
 * Gives each test of the calling file its own fresh tables:
 * `const db = useLocalTables(); ... db().requests`.
 */
export function useLocalTables(): () => LocalTables {
  let current: (LocalTables & { drop(): Promise<void> }) | undefined;
  beforeEach(async () => {
    current = await createLocalTables();
  });
  afterEach(async () => {
    await current?.drop();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('useLocalTables() is only usable inside a test.');
    return current;
  };
}
