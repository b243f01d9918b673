import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ensureTables } from './create-tables.js';
import { DynamoHealthProbe } from './health.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startLocalDynamo, type LocalDynamo } from './local-server.js';
import { tableNamesWithPrefix, type TableNames } from './tables.js';

export interface LocalTablesSetup {
  readonly doc: DynamoDBDocumentClient;
  /** Every table the local broker uses, the audit digests included. */
  readonly names: TableNames & { readonly auditDigests: string };
  readonly endpoint: string;
  /** Whether DynamoDB Local was started here (and is stopped by `stop`). */
  readonly embedded: boolean;
  /** The embedded DynamoDB Local's Java process. */
  readonly pid?: number;
  /** Whether DynamoDB answers for the requests table (a health endpoint's check). */
  readonly health: DynamoHealthProbe;
  stop(): Promise<void>;
}

/**
 * DynamoDB for the local runner: the given endpoint (any DynamoDB-compatible one), or an
 * embedded DynamoDB Local (data kept in `dataDir`, in memory without one); the broker's
 * tables are created from the shared definitions if missing.
 */
export async function prepareLocalTables(options: {
  readonly endpoint?: string;
  readonly dataDir?: string;
  readonly tablePrefix: string;
  /** Told what was found in the data dir (a DynamoDB Local left by a dead broker, reaped). */
  readonly onNotice?: (line: string) => void;
}): Promise<LocalTablesSetup> {
  let server: LocalDynamo | undefined;
  if (!options.endpoint) {
    server = await startLocalDynamo({
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      ...(options.onNotice ? { onNotice: options.onNotice } : {}),
    });
  }
  const endpoint = options.endpoint ?? (server as LocalDynamo).endpoint;
  // DynamoDB Local (ours, or one on this machine) accepts any credentials; any other
  // endpoint gets the SDK's own credential chain.
  const loopback = /^https?:\/\/(127\.[\d.]+|localhost|\[::1\])(:\d+)?(\/|$)/.test(endpoint);
  const client = new DynamoDBClient({
    endpoint,
    region: process.env.AWS_REGION ?? LOCAL_REGION,
    ...(server || (loopback && !process.env.AWS_ACCESS_KEY_ID) ? { credentials: LOCAL_CREDENTIALS } : {}),
  });
  const names = tableNamesWithPrefix(options.tablePrefix);
  try {
    await ensureTables(client, names);
  } catch (error) {
    await server?.stop();
    throw error;
  }
  return {
    doc: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    names,
    endpoint,
    embedded: server !== undefined,
    ...(server?.pid === undefined ? {} : { pid: server.pid }),
    health: new DynamoHealthProbe(client, names.requests),
    async stop() {
      client.destroy();
      await server?.stop();
    },
  };
}
