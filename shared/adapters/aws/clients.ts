import { IAMClient } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';

/** The AWS clients the grant side uses, built once per entry point. */
export interface AwsClients {
  readonly iam: IAMClient;
  readonly sts: STSClient;
  readonly sqs: SQSClient;
  readonly secrets: SecretsManagerClient;
}

/** Options shared by every client; never an `endpoint`, so the SDK's own variables apply. */
export interface AwsClientOptions {
  readonly region?: string;
  /** SDK attempts per call (standard retry mode: exponential backoff with jitter). */
  readonly maxAttempts?: number;
}

/**
 * The one place that builds IAM, STS, SQS and Secrets Manager clients. No endpoint is set here on purpose:
 * the SDK then honours `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_IAM` / `_STS` / `_SQS` / `_SECRETS_MANAGER`
 * (and the shared config file), so the same code runs against any AWS-compatible endpoint.
 */
export function createAwsClients(options: AwsClientOptions = {}): AwsClients {
  const base = {
    ...(options.region === undefined ? {} : { region: options.region }),
    maxAttempts: options.maxAttempts ?? 4,
    retryMode: 'standard' as const,
  };
  return {
    // IAM is global; its signing region is us-east-1 in the aws partition.
    iam: new IAMClient({ ...base, region: options.region ?? process.env.AWS_REGION ?? 'us-east-1' }),
    sts: new STSClient(base),
    sqs: new SQSClient(base),
    secrets: new SecretsManagerClient(base),
  };
}
