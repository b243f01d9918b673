import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import type { AwsClientOptions } from './clients.js';

/** The clients the audit anchors use: KMS to sign (and give the public key), S3 to keep them. */
export interface AnchorClients {
  readonly kms: KMSClient;
  readonly s3: S3Client;
}

/**
 * Builds the KMS and S3 clients like {@link createAwsClients} builds the others: standard
 * retries, a connection and a request deadline that throw (the SDK only warns on a request
 * timeout unless told to throw), and no endpoint, so `AWS_ENDPOINT_URL_KMS` / `_S3` apply.
 * Kept apart from clients.ts so that only the anchor function and the auditors' CLI load them.
 */
export function createAnchorClients(options: AwsClientOptions = {}): AnchorClients {
  const base = {
    ...(options.region === undefined ? {} : { region: options.region }),
    maxAttempts: options.maxAttempts ?? 4,
    retryMode: 'standard' as const,
    // Why: a hung connection must fail inside the function's time budget, not after it.
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
  };
  return { kms: new KMSClient(base), s3: new S3Client(base) };
}
