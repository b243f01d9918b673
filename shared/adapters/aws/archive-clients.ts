import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { awsClientConfig, resolveDeadlines, withCallDeadline, type AwsClientOptions } from './clients.js';

/** The clients the audit archive uses: S3 for the objects, EventBridge for the optional SIEM copy. */
export interface ArchiveClients {
  readonly s3: S3Client;
  readonly events: EventBridgeClient;
}

/** Built with the one client setup of clients.ts (deadlines that throw, SDK endpoint variables). */
export function createArchiveClients(options: AwsClientOptions = {}): ArchiveClients {
  const base = awsClientConfig(options);
  const callMs = resolveDeadlines(options.deadlines).callMs;
  return {
    s3: withCallDeadline(new S3Client(base), callMs),
    events: withCallDeadline(new EventBridgeClient(base), callMs),
  };
}
