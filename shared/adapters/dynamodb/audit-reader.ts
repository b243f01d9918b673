import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from './client.js';
import { DynamoAuditDigests } from './audit-digests.js';
import { DynamoAuditQuery } from './audit-query.js';

/**
 * Builds the auditors' reader for the entry points (CLI, HTTP API), which may not import
 * the AWS SDK themselves. The endpoint comes from the SDK's own AWS_ENDPOINT_URL(_DYNAMODB).
 * With `digestsTableName`, a target's answers read the digests of the days they cover, and
 * `digests` is the store `verify` checks against the trail.
 */
export function createAuditReader(options: {
  readonly tableName: string;
  /** Undefined (or absent): the reader reads the index alone. */
  readonly digestsTableName?: string | undefined;
  readonly chainCount?: number;
  readonly clientConfig?: DynamoDBClientConfig;
}): DynamoAuditQuery & { readonly digests?: DynamoAuditDigests } {
  const doc = createDocumentClient(options.clientConfig);
  const digests =
    options.digestsTableName === undefined
      ? undefined
      : new DynamoAuditDigests(doc, options.digestsTableName);
  const reader = new DynamoAuditQuery(
    doc,
    options.tableName,
    options.chainCount,
    undefined,
    undefined,
    digests,
  );
  return Object.assign(reader, digests ? { digests } : {});
}
