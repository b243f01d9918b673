import { IAMClient } from '@aws-sdk/client-iam';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';

/** The AWS clients the grant side uses, built once per entry point. */
export interface AwsClients {
  readonly iam: IAMClient;
  readonly sts: STSClient;
  readonly sqs: SQSClient;
}

/** Options shared by every client; never an `endpoint`, so the SDK's own variables apply. */
export interface AwsClientOptions {
  readonly region?: string;
  /** SDK attempts per call (standard retry mode: exponential backoff with jitter). */
  readonly maxAttempts?: number;
}

/**
 * The one place that builds the IAM, STS and SQS clients (the Slack secret is read through
 * Powertools, which builds its own Secrets Manager client the same way). No endpoint is set here on purpose:
 * the SDK then honours `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_IAM` / `_STS` / `_SQS`
 * (and the shared config file), so the same code runs against any AWS-compatible endpoint.
 */
export function createAwsClients(options: AwsClientOptions = {}): AwsClients {
  const base = {
    ...(options.region === undefined ? {} : { region: options.region }),
    maxAttempts: options.maxAttempts ?? 4,
    retryMode: 'standard' as const,
    // Why: a hung connection must fail fast enough for a retry inside the Lambda's timeout.
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 },
  };
  return {
    // IAM is global; its signing region is us-east-1 in the aws partition.
    iam: new IAMClient({ ...base, region: options.region ?? process.env.AWS_REGION ?? 'us-east-1' }),
    sts: new STSClient(base),
    sqs: new SQSClient(base),
  };
}
