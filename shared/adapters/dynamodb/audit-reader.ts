import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from './client.js';
import { DynamoAuditQuery } from './audit-query.js';

/**
 * Builds the auditors' reader for the entry points (CLI, HTTP API), which may not import
 * the AWS SDK themselves. The endpoint comes from the SDK's own AWS_ENDPOINT_URL(_DYNAMODB).
 */
export function createAuditReader(options: {
  readonly tableName: string;
  readonly chainCount?: number;
  readonly clientConfig?: DynamoDBClientConfig;
}): DynamoAuditQuery {
  return new DynamoAuditQuery(
    createDocumentClient(options.clientConfig),
    options.tableName,
    options.chainCount,
  );
}
