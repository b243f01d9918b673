import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { awsClientConfig, resolveDeadlines, withCallDeadline, type AwsClientOptions } from './clients.js';

/** The clients the audit anchors use: KMS to sign (and give the public key), S3 to keep them. */
export interface AnchorClients {
  readonly kms: KMSClient;
  readonly s3: S3Client;
}

/**
 * Builds the KMS and S3 clients with the one client setup of clients.ts (standard retries,
 * connect and per-attempt deadlines that throw, a cap on the whole call, and no endpoint, so
 * `AWS_ENDPOINT_URL_KMS` / `_S3` apply). Kept apart from clients.ts so that only the anchor
 * function and the auditors' CLI load these SDK packages.
 */
export function createAnchorClients(options: AwsClientOptions = {}): AnchorClients {
  const base = awsClientConfig(options);
  const callMs = resolveDeadlines(options.deadlines).callMs;
  return {
    kms: withCallDeadline(new KMSClient(base), callMs),
    s3: withCallDeadline(new S3Client(base), callMs),
  };
}
