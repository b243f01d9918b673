import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { IAMClient } from '@aws-sdk/client-iam';
import { IdentitystoreClient } from '@aws-sdk/client-identitystore';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';

/** The AWS clients the grant side uses, built once per entry point. */
export interface AwsClients {
  readonly iam: IAMClient;
  readonly sts: STSClient;
  readonly sqs: SQSClient;
  /** IAM Identity Center administration (account assignments, permission sets). */
  readonly ssoAdmin: SSOAdminClient;
  /** The Identity Center identity store (users by email or user name). */
  readonly identityStore: IdentitystoreClient;
  /** AWS Organizations (accounts of an OU, account names). */
  readonly organizations: OrganizationsClient;
}

/** Credentials an IAM client signs with instead of the default chain (an assumed agent role). */
export type AwsCredentialsProvider = () => Promise<{
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}>;

/**
 * How long an AWS call may take. Each attempt throws (`TimeoutError`) when its deadline
 * passes, and the whole call (every attempt and the backoff between them) is aborted at
 * `callMs` (`AbortError`). Both are classified transient (see aws-errors.ts), so a hung call
 * becomes a recorded failure that the next run retries.
 *
 * Worst case of one call: min(`callMs`, maxAttempts × (`connectMs` + `attemptMs`) + backoff),
 * plus at most one backoff pause (the SDK checks the signal before each attempt).
 */
export interface AwsDeadlines {
  /** Opening the TCP/TLS connection. */
  readonly connectMs: number;
  /** One attempt, from sending the request to the response (throwOnRequestTimeout). */
  readonly attemptMs: number;
  /** The whole call, retries and backoff included. */
  readonly callMs: number;
}

/** Production deadlines: a hung IAM/STS/SQS/DynamoDB call gives up after at most ~12 s. */
export const DEFAULT_AWS_DEADLINES: AwsDeadlines = Object.freeze({
  connectMs: 2_000,
  attemptMs: 5_000,
  callMs: 12_000,
});

/** SDK attempts per call by default (standard retry mode: exponential backoff with jitter). */
export const DEFAULT_MAX_ATTEMPTS = 4;

/** Options shared by every client; never an `endpoint`, so the SDK's own variables apply. */
export interface AwsClientOptions {
  readonly region?: string;
  /** SDK attempts per call (standard retry mode: exponential backoff with jitter). */
  readonly maxAttempts?: number;
  /** Defaults to {@link DEFAULT_AWS_DEADLINES}; tests use a few hundred milliseconds. */
  readonly deadlines?: Partial<AwsDeadlines>;
}

/**
 * The settings every AWS client of the broker is built with (IAM, STS, SQS, DynamoDB,
 * Secrets Manager): standard retries and a request handler whose deadline throws. Why
 * `throwOnRequestTimeout`: without it `@smithy/node-http-handler` only logs a warning when
 * `requestTimeout` passes, and a call that never gets an answer waits forever.
 */
export function awsClientConfig(options: AwsClientOptions = {}) {
  const deadlines = resolveDeadlines(options.deadlines);
  return {
    ...(options.region === undefined ? {} : { region: options.region }),
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryMode: 'standard' as const,
    requestHandler: {
      connectionTimeout: deadlines.connectMs,
      requestTimeout: deadlines.attemptMs,
      throwOnRequestTimeout: true,
    },
  };
}

/** The deadlines in force: the defaults with `overrides` applied. */
export function resolveDeadlines(overrides: Partial<AwsDeadlines> = {}): AwsDeadlines {
  return { ...DEFAULT_AWS_DEADLINES, ...overrides };
}

type SendOptions = { abortSignal?: AbortSignal } & Record<string, unknown>;
interface Sender {
  send(command: unknown, options?: unknown, callback?: unknown): unknown;
}

/**
 * Caps every call of `client` at `callMs` in all (attempts and backoff): `send` gets an
 * AbortSignal that fires then (joined with the caller's own, if any). The prototype's `send`
 * is looked up on each call, so `aws-sdk-client-mock` stubs installed later still apply.
 * Returns the same client.
 */
export function withCallDeadline<C extends Sender>(client: C, callMs: number): C {
  const proto = Object.getPrototypeOf(client) as Sender;
  const send = (command: unknown, options?: unknown, callback?: unknown): unknown => {
    // The callback form (options is the callback) is left as it is: the broker never uses it.
    if (typeof options === 'function') return proto.send.call(client, command, options);
    const given = (options ?? {}) as SendOptions;
    const deadline = AbortSignal.timeout(callMs);
    const abortSignal = given.abortSignal ? AbortSignal.any([given.abortSignal, deadline]) : deadline;
    return proto.send.call(client, command, { ...given, abortSignal }, callback);
  };
  Object.defineProperty(client, 'send', { value: send, configurable: true, writable: true });
  return client;
}

/**
 * The one place that builds the IAM, STS and SQS clients (DynamoDB: dynamodb/client.ts,
 * Secrets Manager: slack/runtime.ts, both with {@link awsClientConfig} and {@link withCallDeadline}). No endpoint is set
 * here on purpose: the SDK then honours `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_IAM` /
 * `_STS` / `_SQS` / `_SSO_ADMIN` / `_IDENTITYSTORE` / `_ORGANIZATIONS` (and the shared config file), so the same code runs against any
 * AWS-compatible endpoint, such as the fault-injecting stand-in of the tests.
 */
export function createAwsClients(options: AwsClientOptions = {}): AwsClients {
  const base = awsClientConfig(options);
  const callMs = resolveDeadlines(options.deadlines).callMs;
  return {
    iam: createIamClient(options),
    sts: withCallDeadline(new STSClient(base), callMs),
    sqs: withCallDeadline(new SQSClient(base), callMs),
    ...createIdentityCenterClients(options),
  };
}

/**
 * The Identity Center and Organizations clients alone (like {@link createAwsClients}): for a
 * front door that only names accounts and people, so its bundle leaves out IAM and STS.
 */
export function createIdentityCenterClients(
  options: AwsClientOptions = {},
): Pick<AwsClients, 'ssoAdmin' | 'identityStore' | 'organizations'> {
  const base = awsClientConfig(options);
  const callMs = resolveDeadlines(options.deadlines).callMs;
  return {
    ssoAdmin: withCallDeadline(new SSOAdminClient(base), callMs),
    identityStore: withCallDeadline(new IdentitystoreClient(base), callMs),
    // Organizations is global; its signing region is us-east-1 in the aws partition.
    organizations: withCallDeadline(
      new OrganizationsClient({ ...base, region: options.region ?? process.env.AWS_REGION ?? 'us-east-1' }),
      callMs,
    ),
  };
}

/**
 * An IAM client with the broker's settings; with `credentials`, it signs as them (the agent
 * role of a member account) instead of the default chain.
 */
export function createIamClient(
  options: AwsClientOptions = {},
  credentials?: AwsCredentialsProvider,
): IAMClient {
  const callMs = resolveDeadlines(options.deadlines).callMs;
  return withCallDeadline(
    new IAMClient({
      ...awsClientConfig(options),
      // IAM is global; its signing region is us-east-1 in the aws partition.
      region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
      ...(credentials ? { credentials } : {}),
    }),
    callMs,
  );
}

/**
 * A CloudTrail client (LookupEvents for a grant's activity) with the broker's settings; like
 * every client here it sets no endpoint, so `AWS_ENDPOINT_URL_CLOUDTRAIL` applies. With
 * `credentials`, it signs as them (a member account's agent role).
 */
export function createCloudTrailClient(
  options: AwsClientOptions = {},
  credentials?: AwsCredentialsProvider,
): CloudTrailClient {
  return withCallDeadline(
    new CloudTrailClient({ ...awsClientConfig(options), ...(credentials ? { credentials } : {}) }),
    resolveDeadlines(options.deadlines).callMs,
  );
}
