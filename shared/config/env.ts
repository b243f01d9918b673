import * as z from 'zod';
import { ConfigError } from '../domain/errors.js';
import { formatIssuePath } from '../domain/policy.js';

/**
 * The environment variables of the broker's entry points: one list, so the CDK stack,
 * the local runner and the handlers agree on names. Each entry point validates the subset
 * it needs with {@link readEnv}; a bad value fails start-up naming the variable.
 */
export const ENV = {
  requestsTable: 'REQUESTS_TABLE_NAME',
  auditTable: 'AUDIT_TABLE_NAME',
  /** The audit digests table (shared/domain/audit-digest.ts): written by the anchor function, read by auditors. */
  auditDigestsTable: 'AUDIT_DIGESTS_TABLE_NAME',
  /** The first day (`YYYY-MM-DD`) the digest run digests when none is digested yet; default: yesterday. */
  auditDigestFirstDay: 'AUDIT_DIGEST_FIRST_DAY',
  /** The console's credentials mailbox table (AWS: the grant worker delivers, the console API collects). */
  credentialsMailboxTable: 'CREDENTIALS_MAILBOX_TABLE_NAME',
  grantQueueUrl: 'GRANT_QUEUE_URL',
  policyPath: 'POLICY_PATH',
  slackSecretArn: 'SLACK_SECRET_ARN',
  slackSigningSecret: 'SLACK_SIGNING_SECRET',
  slackBotToken: 'SLACK_BOT_TOKEN',
  slackApiUrl: 'SLACK_API_URL',
  managedIamPath: 'MANAGED_IAM_PATH',
  sweepConcurrency: 'SWEEP_CONCURRENCY',
  reconcileRemove: 'RECONCILE_REMOVE',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  grantMaxAttempts: 'GRANT_MAX_ATTEMPTS',
  federationUrl: 'FEDERATION_URL',
  consoleDestination: 'CONSOLE_DESTINATION_URL',
  revokeMarginSeconds: 'REVOKE_MARGIN_SECONDS',
  /** The audit anchors: the Object Lock bucket, its key prefix, and the KMS signing key. */
  anchorBucket: 'ANCHOR_BUCKET',
  anchorPrefix: 'ANCHOR_PREFIX',
  anchorKeyId: 'ANCHOR_KEY_ID',
  /** The audit archive: its S3 bucket and, optionally, the EventBridge bus events are forwarded to. */
  archiveBucket: 'ARCHIVE_BUCKET',
  archiveEventBus: 'ARCHIVE_EVENT_BUS',
  /** The access review: the bucket its CSVs go to (under reviews/) and its period in days. */
  reviewBucket: 'REVIEW_BUCKET',
  reviewPeriodDays: 'REVIEW_PERIOD_DAYS',
  /** What was done with access: the Regions and account whose CloudTrail is read, and the settle time. */
  activityRegions: 'ACTIVITY_REGIONS',
  activityAccount: 'ACTIVITY_ACCOUNT',
  activitySettleSeconds: 'ACTIVITY_SETTLE_SECONDS',
} as const;

/**
 * Validates `source` (process.env by default) against a zod object of variable names and
 * returns the frozen result. Throws ConfigError listing `NAME: reason` for each problem.
 */
export function readEnv<T extends z.ZodRawShape>(
  shape: T,
  source: Readonly<Record<string, string | undefined>> = process.env,
): Readonly<z.infer<z.ZodObject<T>>> {
  const result = z.object(shape).safeParse(source);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${formatIssuePath(i.path)}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return Object.freeze(result.data);
}
