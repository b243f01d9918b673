import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaEvents from 'aws-cdk-lib/aws-lambda-event-sources';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  AUDIT_DIGESTS_TABLE,
  AUDIT_INDEX,
  AUDIT_TABLE,
  CREDENTIALS_MAILBOX_TABLE,
  REQUESTS_TABLE,
} from '../shared/adapters/dynamodb/tables.js';
import { ENV } from '../shared/config/env.js';
import { isDay } from '../shared/domain/audit-digest.js';
import { loadPolicyFile } from '../shared/config/policy-file.js';
import { DIGEST_FAILURES_METRIC } from '../shared/usecases/digest-audit.js';
import { AuditAnchors, ANCHOR_PREFIX, DEFAULT_ANCHOR_RETENTION_DAYS } from './constructs/audit-anchors.js';
import { AuditArchive } from './constructs/audit-archive.js';
import { BrokerBoundary } from './constructs/broker-boundary.js';
import { BrokerFunction } from './constructs/broker-function.js';
import { BrokeredRoleBoundary, brokerFunctionNamePrefix } from './constructs/brokered-role-boundary.js';
import { IdentityCenterAccess } from './constructs/identity-center-access.js';
import {
  IntegrationSecrets,
  resolveIntegrations,
  type IntegrationsConfig,
} from './constructs/integration-secrets.js';
import {
  BROKER_SESSION_CONDITIONS,
  BROKER_TRUST_ACTIONS,
  WebAppIamBaseline,
} from './constructs/web-app-iam-baseline.js';
import { identityCenterReach } from './identity-center-targets.js';
import { UNCONFIGURED_ISSUER, WebConsole } from './constructs/web-console.js';
import { BROKER_IAM_PATH, DEFAULT_MANAGED_IAM_PATH, managedTargets } from './managed-targets.js';
import { AccessReviews } from './constructs/access-reviews.js';
import { acknowledge } from './nag.js';
import { tableAndIndexArns, tableFromDefinition } from './tables.js';

/** The broker's functions, each with its own role and only the permissions it uses. */
export const BROKER_FUNCTIONS = [
  'slack',
  'grant-worker',
  'sweeper',
  'reconciler',
  'audit-api',
  'audit-anchor',
  'request-api',
  'console-api',
  'audit-archive',
  'access-review',
] as const;
export type BrokerFunctionName = (typeof BROKER_FUNCTIONS)[number];

/**
 * The functions that change access (IAM, STS, Identity Center) and so carry the control-plane
 * boundary; every other function carries the data-plane one, which allows none of those.
 */
export const CONTROL_PLANE: ReadonlySet<BrokerFunctionName> = new Set([
  'grant-worker',
  'sweeper',
  'reconciler',
  'request-api',
]);

/**
 * The metric the sweeper and the grant worker emit when a revoke fails (Powertools EMF, with
 * the default `service` dimension = the function's POWERTOOLS_SERVICE_NAME).
 */
export const REVOKE_FAILURES_METRIC = 'RevokeFailures';
/** The metric the anchor function emits when it could not (or would not) anchor the heads. */
export const ANCHOR_FAILURES_METRIC = 'AnchorFailures';
export const DEFAULT_METRICS_NAMESPACE = 'JitBroker';

/**
 * Deliveries of a grant job the worker tries (GRANT_MAX_ATTEMPTS); the queue's
 * maxReceiveCount is one more, so the final attempt's FAILED write happens before the DLQ.
 */
export const GRANT_MAX_ATTEMPTS = 5;

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where each function's entry point lives in the repository. */
export function defaultEntry(name: BrokerFunctionName): string {
  return join(REPO_ROOT, 'functions', name, 'handler.ts');
}

export interface BrokerStackProps extends StackProps {
  /** The access-policy file, validated at synth time and bundled into the functions. */
  readonly policyFile: string;
  /** IAM path of the groups and roles the broker may touch. Default `/jit/`. */
  readonly managedIamPath?: string;
  /** Whether the reconciler removes standing members it did not grant. Default false (report only). */
  readonly reconcileRemove?: boolean;
  /** The reconciler's schedule expression. Default `rate(1 hour)`. */
  readonly reconcileSchedule?: string;
  /** The access review's schedule expression. Default: Mondays 06:00 UTC. */
  readonly reviewSchedule?: string;
  /** The access review's period in days. Default 7. */
  readonly reviewPeriodDays?: number;
  /** An existing Secrets Manager secret with the Slack credentials; otherwise the stack creates one. */
  readonly slackSecretArn?: string;
  /** An e-mail address subscribed to the alarm topic. */
  readonly alarmEmail?: string;
  readonly metricsNamespace?: string;
  /**
   * Object Lock COMPLIANCE retention of the audit anchors, in days. Default: the context value
   * `anchorRetentionDays` (`-c anchorRetentionDays=365`), else 400.
   */
  readonly anchorRetentionDays?: number;
  /**
   * Ticket and on-call systems (base URL and Secrets Manager secret per system). Default: the
   * context values `<system>BaseUrl` / `<system>SecretArn` (`-c jiraBaseUrl=… -c jiraSecretArn=…`).
   */
  readonly integrations?: IntegrationsConfig;
  /**
   * The web console's OIDC issuer (the JWT authorizer's `iss`). Without it the API refuses
   * every token (a `.invalid` issuer) until it is set.
   */
  readonly consoleJwtIssuer?: string;
  /** The audiences (client ids) the console's tokens must carry. Default `jit-console`. */
  readonly consoleJwtAudience?: readonly string[];
  /** The token claim with the person's email. Default `email`. */
  readonly consoleEmailClaim?: string;
  /**
   * The console IdP's token endpoint (URL or origin) when it is not on the issuer's host
   * (Cognito's hosted domain): the console's CSP lets the page reach it. Default: the issuer's.
   */
  readonly consoleTokenEndpointOrigin?: string;
  /** An EventBridge bus (name or ARN) the audit archive forwards each event to, for a SIEM. */
  readonly archiveEventBus?: string;
  /**
   * The first day (`YYYY-MM-DD`) the audit digests cover, to digest an existing trail from then
   * on (AUDIT_DIGEST_FIRST_DAY of the anchor function). Read only while no day is digested: the
   * first digest run after the deploy starts there. Default: the newest closed day.
   */
  readonly auditDigestFirstDay?: string;
  /**
   * The Regions whose CloudTrail the sweeper reads for what was done with role grants
   * (LookupEvents is regional). Default: the stack's Region.
   */
  readonly activityRegions?: readonly string[];
  /** Entry-point overrides (tests, experiments); default `functions/<name>/handler.ts`. */
  readonly entries?: Partial<Record<BrokerFunctionName, string>>;
}

/**
 * The JIT access broker: tables, the Slack function, the grant worker with its queue and
 * dead-letter queue, the sweeper and reconciler on schedules, the audit API, alarms, and
 * the web-app IAM baseline whose groups and roles the broker manages.
 */
/** Every broker alarm fires on the first datapoint above zero; no data is not a failure. */
const ALARM_ON_ANY_DATAPOINT = {
  threshold: 0,
  comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
  evaluationPeriods: 1,
  treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
} as const;

export class BrokerStack extends Stack {
  readonly functions: Readonly<Record<BrokerFunctionName, BrokerFunction>>;
  readonly boundary: BrokerBoundary;
  /** The permissions boundary of the roles the broker hands out (the baseline's roles). */
  readonly brokeredBoundary: BrokeredRoleBoundary;
  readonly baseline: WebAppIamBaseline;
  /** The signing key and Object Lock bucket of the audit anchors. */
  readonly anchors: AuditAnchors;
  /** The audit archive bucket (JSON lines from the audit stream), its Glue table and failure queue. */
  readonly archive: AuditArchive;
  /** The web console: assets bucket, CloudFront distribution, HTTP API with its JWT authorizer. */
  readonly console: WebConsole;

  constructor(scope: Construct, id: string, props: BrokerStackProps) {
    super(scope, id, props);
    // A broken policy fails the synth here, naming the file, each path and the reason.
    const policy = loadPolicyFile(props.policyFile);
    const managedPath = props.managedIamPath ?? DEFAULT_MANAGED_IAM_PATH;
    const managed = managedTargets(policy, managedPath, {
      partition: Aws.PARTITION,
      account: Aws.ACCOUNT_ID,
    });
    const namespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
    const digestFirstDay = props.auditDigestFirstDay;
    if (digestFirstDay !== undefined && !isDay(digestFirstDay)) {
      throw new Error(`auditDigestFirstDay: "${digestFirstDay}" must be a day (YYYY-MM-DD)`);
    }

    const requests = tableFromDefinition(this, 'RequestsTable', REQUESTS_TABLE);
    // The archive reads new audit events from the stream (enabling it updates the table in place).
    const audit = tableFromDefinition(this, 'AuditTable', AUDIT_TABLE, {
      stream: dynamodb.StreamViewType.NEW_IMAGE,
    });
    // The audit digests: each target's events of a closed day in one compressed item, derived from
    // the audit table by the anchor function and read by the auditors' queries (and checked by verify).
    const auditDigests = tableFromDefinition(this, 'AuditDigestsTable', AUDIT_DIGESTS_TABLE);
    // The console's credentials mailbox: minted credentials wait at most minutes for their owner
    // (TTL), encrypted at rest by the table's key; no backups, so none outlives its ticket.
    const credentialsMailbox = tableFromDefinition(
      this,
      'CredentialsMailboxTable',
      CREDENTIALS_MAILBOX_TABLE,
      {
        pointInTimeRecovery: false,
      },
    );
    acknowledge(
      credentialsMailbox,
      'AwsSolutions-DDB3',
      'Holds console credentials for at most minutes until their owner collects them; a point-in-time backup would keep them for 35 days.',
    );
    const requestsArns = tableAndIndexArns(requests, REQUESTS_TABLE);
    const auditArns = tableAndIndexArns(audit, AUDIT_TABLE);

    const deadLetters = new sqs.Queue(this, 'GrantDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const grantQueue = new sqs.Queue(this, 'GrantQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the worker's timeout, as Lambda advises for SQS sources.
      visibilityTimeout: Duration.minutes(3),
      // One delivery more than the worker's attempts: the last attempt writes FAILED (or
      // raises the revoke alert) before the job can land in the DLQ.
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: GRANT_MAX_ATTEMPTS + 1 },
    });

    const slackSecret = props.slackSecretArn
      ? secretsmanager.Secret.fromSecretCompleteArn(this, 'SlackSecret', props.slackSecretArn)
      : new secretsmanager.Secret(this, 'SlackSecret', {
          description: 'Slack signing secret and bot token of the JIT broker (JSON: signingSecret, botToken)',
          // Why: a replaced or deleted secret leaves the functions with an empty one until re-entered.
          removalPolicy: RemovalPolicy.RETAIN,
        });
    acknowledge(
      slackSecret,
      'AwsSolutions-SMG4',
      'Slack issues the signing secret and bot token; no rotation function can mint new ones. Rotate them in the Slack app settings, then put the new value in this secret.',
    );

    const retentionContext: unknown = this.node.tryGetContext('anchorRetentionDays');
    this.anchors = new AuditAnchors(this, 'AuditAnchors', {
      retentionDays:
        props.anchorRetentionDays ??
        (retentionContext === undefined || retentionContext === ''
          ? DEFAULT_ANCHOR_RETENTION_DAYS
          : Number(retentionContext)),
      brokerRolePattern: `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role${BROKER_IAM_PATH}*`,
    });
    this.archive = new AuditArchive(this, 'Archive', {
      brokerRolePattern: `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role${BROKER_IAM_PATH}*`,
      ...(props.archiveEventBus ? { eventBus: props.archiveEventBus } : {}),
    });
    this.boundary = new BrokerBoundary(this, 'Boundary', {
      anchors: {
        bucketArn: this.anchors.bucket.bucketArn,
        keyArnPattern: `arn:${Aws.PARTITION}:kms:${Aws.REGION}:${Aws.ACCOUNT_ID}:key/*`,
      },
      tableArns: [requests.tableArn, audit.tableArn, credentialsMailbox.tableArn],
      auditTableArn: audit.tableArn,
      // Only data-plane functions use the digests: the anchor function, the audit and console APIs.
      auditDigestsTableArn: auditDigests.tableArn,
      queueArns: [grantQueue.queueArn],
      secretArns: [slackSecret.secretArn],
      groupPathPattern: managed.groupPathPattern,
      rolePathPatterns: managed.rolePathPatterns,
    });

    const contextValue = (key: string): string | undefined => {
      const value: unknown = this.node.tryGetContext(key);
      return value === undefined || value === null || value === '' ? undefined : String(value);
    };
    // Ticket and on-call systems: their URLs and secrets for the functions that call them.
    const integrations = new IntegrationSecrets(
      this,
      'Integrations',
      resolveIntegrations(props.integrations, contextValue),
    );
    for (const boundary of this.boundary.policies) integrations.capBoundary(boundary);

    const make = (
      name: BrokerFunctionName,
      description: string,
      options: {
        environment?: Record<string, string>;
        timeout?: Duration;
        bundlePolicy?: boolean;
      } = {},
    ) =>
      new BrokerFunction(this, toPascal(name), {
        // Why: one name prefix lets the brokered-role boundary cover every function in one pattern.
        functionName: `${brokerFunctionNamePrefix(this.stackName)}${name}`,
        entry: props.entries?.[name] ?? defaultEntry(name),
        description,
        serviceName: `jit-${name}`,
        metricsNamespace: namespace,
        permissionsBoundary: this.boundary.of(CONTROL_PLANE.has(name) ? 'control' : 'data'),
        ...(options.timeout ? { timeout: options.timeout } : {}),
        ...(options.bundlePolicy === false ? {} : { policyFile: props.policyFile }),
        environment: {
          [ENV.requestsTable]: requests.tableName,
          [ENV.auditTable]: audit.tableName,
          ...options.environment,
        },
      });

    const slack = make('slack', 'Slack commands and interactions: verify, decide, persist, ack', {
      timeout: Duration.seconds(10),
      environment: {
        [ENV.grantQueueUrl]: grantQueue.queueUrl,
        [ENV.slackSecretArn]: slackSecret.secretArn,
        ...integrations.environment,
      },
    });
    const grantWorker = make('grant-worker', 'Grants, early revokes and role sessions (SQS consumer)', {
      environment: {
        // The worker delays a failed job's retry on this queue (ChangeMessageVisibility).
        [ENV.grantQueueUrl]: grantQueue.queueUrl,
        [ENV.grantMaxAttempts]: String(GRANT_MAX_ATTEMPTS),
        [ENV.slackSecretArn]: slackSecret.secretArn,
        [ENV.managedIamPath]: managedPath,
        [ENV.credentialsMailboxTable]: credentialsMailbox.tableName,
      },
    });
    const sweeper = make('sweeper', 'Revokes expired grants and follows up pending requests', {
      timeout: Duration.seconds(55),
      environment: {
        [ENV.grantQueueUrl]: grantQueue.queueUrl,
        [ENV.slackSecretArn]: slackSecret.secretArn,
        [ENV.managedIamPath]: managedPath,
        ...integrations.environment,
        // LookupEvents sees only this account: role sessions elsewhere are not summarised as idle.
        [ENV.activityAccount]: Aws.ACCOUNT_ID,
        ...(props.activityRegions ? { [ENV.activityRegions]: props.activityRegions.join(',') } : {}),
      },
    });
    const reconcileRemove = props.reconcileRemove ?? false;
    const reconciler = make(
      'reconciler',
      'Reports (and optionally removes) members the broker did not grant',
      {
        timeout: Duration.minutes(2),
        environment: {
          [ENV.managedIamPath]: managedPath,
          [ENV.reconcileRemove]: String(reconcileRemove),
          // Live grants missing their membership get a restore-membership job for the worker.
          [ENV.grantQueueUrl]: grantQueue.queueUrl,
        },
      },
    );
    const auditApi = make('audit-api', 'Audit queries and exports (AWS_IAM function URL)', {
      bundlePolicy: false,
      environment: { [ENV.auditDigestsTable]: auditDigests.tableName },
    });
    const auditAnchor = make(
      'audit-anchor',
      'Signs the audit chain heads into the Object Lock bucket; digests closed audit days per target',
      {
        bundlePolicy: false,
        timeout: Duration.minutes(1),
        environment: {
          [ENV.anchorBucket]: this.anchors.bucket.bucketName,
          [ENV.anchorPrefix]: ANCHOR_PREFIX,
          [ENV.anchorKeyId]: this.anchors.key.keyArn,
          [ENV.auditDigestsTable]: auditDigests.tableName,
          ...(digestFirstDay === undefined ? {} : { [ENV.auditDigestFirstDay]: digestFirstDay }),
        },
      },
    );
    // The requester API: the same use cases as Slack, and role credentials like the worker's.
    const requestApi = make('request-api', 'Request API for the jit CLI and CI (AWS_IAM function URL)', {
      timeout: Duration.seconds(15),
      environment: {
        [ENV.grantQueueUrl]: grantQueue.queueUrl,
        [ENV.slackSecretArn]: slackSecret.secretArn,
        [ENV.managedIamPath]: managedPath,
        ...integrations.environment,
      },
    });
    const consoleApi = make('console-api', 'Web console API (HTTP API behind a JWT authorizer)', {
      timeout: Duration.seconds(29),
      environment: {
        [ENV.grantQueueUrl]: grantQueue.queueUrl,
        [ENV.slackSecretArn]: slackSecret.secretArn,
        [ENV.credentialsMailboxTable]: credentialsMailbox.tableName,
        // Auditors' by-target queries and verification in the console read the digests too.
        [ENV.auditDigestsTable]: auditDigests.tableName,
      },
    });
    const auditArchive = make(
      'audit-archive',
      'Archives audit events from the stream to S3 (and EventBridge)',
      {
        bundlePolicy: false,
        timeout: Duration.minutes(1),
        environment: {
          [ENV.archiveBucket]: this.archive.bucket.bucketName,
          ...(this.archive.eventBusName ? { [ENV.archiveEventBus]: this.archive.eventBusName } : {}),
        },
      },
    );
    const accessReview = make(
      'access-review',
      'Delivers the periodic access review (CSV to S3, summary to Slack)',
      {
        timeout: Duration.minutes(2),
        environment: {
          [ENV.reviewBucket]: this.archive.bucket.bucketName,
          [ENV.slackSecretArn]: slackSecret.secretArn,
          ...(props.reviewPeriodDays === undefined
            ? {}
            : { [ENV.reviewPeriodDays]: String(props.reviewPeriodDays) }),
        },
      },
    );
    this.functions = {
      slack,
      'grant-worker': grantWorker,
      sweeper,
      reconciler,
      'audit-api': auditApi,
      'audit-anchor': auditAnchor,
      'request-api': requestApi,
      'console-api': consoleApi,
      'audit-archive': auditArchive,
      'access-review': accessReview,
    };
    this.boundary.allowOwnLogGroups();

    // DynamoDB, by verb. Nobody is granted DeleteItem; the audit table is also denied it by the boundary.
    const allow = (fn: BrokerFunction, actions: string[], resources: readonly string[]) => {
      if (resources.length > 0)
        fn.role.addToPolicy(new iam.PolicyStatement({ actions, resources: [...resources] }));
    };
    const READ = ['dynamodb:GetItem', 'dynamodb:Query'];
    const WRITE = ['dynamodb:ConditionCheckItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
    for (const fn of [slack, grantWorker, sweeper, requestApi, consoleApi]) {
      allow(fn, [...READ, ...WRITE], [requests.tableArn]);
      allow(fn, READ, requestsArns.slice(1));
      // Audit appends: a new event (PutItem) and the chain head (UpdateItem) in one transaction.
      allow(fn, [...READ, ...WRITE], [audit.tableArn]);
    }
    // The approval post shows the requester's history on the target (the audit by-subject index).
    for (const fn of [slack, sweeper, requestApi, consoleApi])
      allow(fn, ['dynamodb:Query'], auditArns.slice(1));
    // Console credentials: the console API opens and collects tickets (collecting removes the
    // credentials with a conditional UpdateItem), the worker only fills an open ticket.
    allow(
      consoleApi,
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      [credentialsMailbox.tableArn],
    );
    // Why: filling a ticket needs no item back; ALL_OLD (or ALL_NEW) would read any ticket's credentials.
    grantWorker.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:UpdateItem'],
        resources: [credentialsMailbox.tableArn],
        conditions: { StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' } },
      }),
    );
    allow(reconciler, READ, requestsArns);
    allow(reconciler, ['dynamodb:PutItem', 'dynamodb:UpdateItem', ...READ], [audit.tableArn]);
    allow(auditApi, READ, auditArns);
    // Auditors' readers: a target's days from the digests (the span item, then one Query), and
    // verify reading every digest (Scan). Nobody deletes a digest.
    for (const fn of [auditApi, consoleApi]) allow(fn, [...READ, 'dynamodb:Scan'], [auditDigests.tableArn]);
    // Chain heads and manifest entries (TransactGetItems authorizes each read as GetItem).
    allow(auditAnchor, ['dynamodb:GetItem'], [audit.tableArn]);
    // The digest run: reads each closed day from the by-day index, writes the day's digests and
    // moves the span item (GetItem, PutItem with a condition).
    allow(auditAnchor, ['dynamodb:Query'], [`${audit.tableArn}/index/${AUDIT_INDEX.byDay}`]);
    allow(auditAnchor, ['dynamodb:GetItem', 'dynamodb:PutItem'], [auditDigests.tableArn]);
    this.anchors.allowSigner(auditAnchor.role);

    grantQueue.grantSendMessages(slack.role);
    grantQueue.grantSendMessages(consoleApi.role);
    // The sweeper hands `restore-membership` jobs to the worker: it may not add to groups itself.
    grantQueue.grantSendMessages(sweeper.role);
    grantQueue.grantSendMessages(reconciler.role);
    grantQueue.grantSendMessages(requestApi.role);
    const grantJobs = new lambdaEvents.SqsEventSource(grantQueue, {
      batchSize: 10,
      reportBatchItemFailures: true,
    });
    grantWorker.function.addEventSource(grantJobs);
    for (const fn of [slack, grantWorker, sweeper, requestApi, consoleApi]) slackSecret.grantRead(fn.role);
    for (const fn of [slack, sweeper, requestApi, consoleApi]) integrations.grantRead(fn.role);
    const archiveStream = this.archive.connect(auditArchive, audit, this.boundary);
    slackSecret.grantRead(accessReview.role);
    new AccessReviews(this, 'AccessReviews', {
      fn: accessReview,
      bucket: this.archive.bucket,
      auditTableArn: audit.tableArn,
      auditIndexArns: auditArns.slice(1),
      ...(props.reviewSchedule ? { schedule: props.reviewSchedule } : {}),
    });
    this.console = new WebConsole(this, 'WebConsole', {
      apiFunction: consoleApi,
      jwtIssuer: props.consoleJwtIssuer ?? UNCONFIGURED_ISSUER,
      jwtAudience: props.consoleJwtAudience ?? ['jit-console'],
      ...(props.consoleEmailClaim ? { emailClaim: props.consoleEmailClaim } : {}),
      ...(props.consoleTokenEndpointOrigin ? { tokenEndpointOrigin: props.consoleTokenEndpointOrigin } : {}),
    });

    // IAM and STS: exact managed group / role ARNs from the policy, never a wildcard.
    allow(grantWorker, ['iam:AddUserToGroup', 'iam:RemoveUserFromGroup'], managed.groupArns);
    // Early revoke: the inline deny on a managed role (read, rewrite, drop when it is empty).
    const ROLE_DENY_LIST = ['iam:DeleteRolePolicy', 'iam:GetRolePolicy', 'iam:PutRolePolicy'];
    allow(grantWorker, ROLE_DENY_LIST, managed.roleArns);
    allow(grantWorker, ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'], managed.roleArns);
    // "Get credentials" through the API mints the same sessions as the worker, nothing more.
    allow(requestApi, ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'], managed.roleArns);
    // The sweeper only takes access away.
    allow(sweeper, ['iam:RemoveUserFromGroup'], managed.groupArns);
    allow(sweeper, ROLE_DENY_LIST, managed.roleArns);
    // What was done with access: the sweeper alone reads CloudTrail, in the configured Regions only.
    sweeper.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailActivity',
        actions: ['cloudtrail:LookupEvents'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:RequestedRegion': [...(props.activityRegions ?? [Aws.REGION])] } },
      }),
    );
    acknowledge(
      sweeper.role,
      'AwsSolutions-IAM5[Resource::*]',
      'cloudtrail:LookupEvents supports no resource-level permissions: * is the only resource it accepts. It is read-only and held to the configured Regions (aws:RequestedRegion).',
    );
    allow(reconciler, ['iam:GetGroup'], managed.groupArns);
    if (reconcileRemove) allow(reconciler, ['iam:RemoveUserFromGroup'], managed.groupArns);
    // Identity Center, Organizations and member-account agent roles, scoped by the policy's targets.
    new IdentityCenterAccess(this, 'IdentityCenterAccess', {
      reach: identityCenterReach(policy, { partition: Aws.PARTITION, account: Aws.ACCOUNT_ID }),
      grantWorker: grantWorker.role,
      sweeper: sweeper.role,
      reconciler: reconciler.role,
      reconcileRemove,
      boundary: this.boundary.controlPolicy,
      slack: {
        role: slack.role,
        boundary: this.boundary.policy,
        alsoReading: [requestApi.role, consoleApi.role],
      },
    });

    const auditUrl = auditApi.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    // Slack authenticates itself by signing each request; the function verifies the HMAC.
    const slackUrl = slack.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    // Why: the API's caller is the SigV4 principal; without AWS_IAM anyone could act as anyone.
    const requestApiUrl = requestApi.function.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.AWS_IAM,
    });

    const sweepSchedule = new events.Rule(this, 'SweepSchedule', {
      description: 'Runs the JIT broker sweeper every minute',
      schedule: events.Schedule.expression('rate(1 minute)'),
      targets: [new targets.LambdaFunction(sweeper.function, { retryAttempts: 0 })],
    });
    const reconcileSchedule = new events.Rule(this, 'ReconcileSchedule', {
      description: 'Runs the JIT broker reconciler',
      schedule: events.Schedule.expression(props.reconcileSchedule ?? 'rate(1 hour)'),
      targets: [new targets.LambdaFunction(reconciler.function, { retryAttempts: 2 })],
    });

    new events.Rule(this, 'AnchorSchedule', {
      description: 'Anchors the JIT broker audit chain heads (only when they moved)',
      schedule: events.Schedule.expression('rate(5 minutes)'),
      targets: [new targets.LambdaFunction(auditAnchor.function, { retryAttempts: 0 })],
    });

    const alarms = this.addAlarms({
      namespace,
      deadLetters,
      grantWorker,
      sweeper,
      alarmEmail: props.alarmEmail,
    });
    this.addAnchorAlarms(namespace, auditAnchor, alarms.topic);
    this.archive.alarmOn(new cloudwatchActions.SnsAction(alarms.topic));

    this.brokeredBoundary = new BrokeredRoleBoundary(this, 'BrokeredRoleBoundary', {
      managedPath,
      auditTableArn: audit.tableArn,
      requestsTableArn: requests.tableArn,
      auditDigestsTableArn: auditDigests.tableArn,
      credentialsMailboxArns: [credentialsMailbox.tableArn],
      // Slack requests are verified in the handler, not by Lambda; the audit API is an AWS_IAM URL.
      // Every broker function (make() names them all with the prefix), versions and aliases included.
      functionArnPattern: `arn:${Aws.PARTITION}:lambda:${Aws.REGION}:${Aws.ACCOUNT_ID}:function:${brokerFunctionNamePrefix(this.stackName)}*`,
      eventSourceMappingArns: [grantJobs.eventSourceMappingArn, archiveStream],
      queueArns: [grantQueue.queueArn, deadLetters.queueArn],
      secretArns: [slackSecret.secretArn],
      ruleArns: [sweepSchedule.ruleArn, reconcileSchedule.ruleArn],
      alarmArns: alarms.alarms.map((a) => a.alarmArn),
      topicArns: [alarms.topic.topicArn],
    });

    this.baseline = new WebAppIamBaseline(this, 'WebAppIamBaseline', {
      managedPath,
      brokerRole: grantWorker.role,
      permissionsBoundary: this.brokeredBoundary.policy,
      auditReadArns: [...auditArns, ...requestsArns, auditDigests.tableArn],
      auditFunction: auditApi.function,
    });

    // The brokered roles trust the request API's role too: `jit creds` mints their sessions.
    for (const role of Object.values(this.baseline.roles)) {
      role.assumeRolePolicy?.addStatements(
        new iam.PolicyStatement({
          actions: BROKER_TRUST_ACTIONS,
          principals: [new iam.ArnPrincipal(requestApi.role.roleArn)],
          conditions: BROKER_SESSION_CONDITIONS,
        }),
      );
    }

    new CfnOutput(this, 'SlackUrl', { value: slackUrl.url, description: 'Slack request URL' });
    new CfnOutput(this, 'AuditApiUrl', { value: auditUrl.url, description: 'Audit API (SigV4, AWS_IAM)' });
    new CfnOutput(this, 'RequestApiUrl', {
      value: requestApiUrl.url,
      description:
        'Request API for jit / CI (SigV4, AWS_IAM): callers need lambda:InvokeFunctionUrl on RequestApiFunctionArn',
    });
    new CfnOutput(this, 'RequestApiFunctionArn', { value: requestApi.function.functionArn });
    new CfnOutput(this, 'RequestApiRoleArn', {
      value: requestApi.role.roleArn,
      description:
        'Trust this role too (like GrantWorkerRoleArn) in brokered roles of other accounts, for jit creds',
    });
    new CfnOutput(this, 'SlackSecretArn', { value: slackSecret.secretArn });
    new CfnOutput(this, 'ConsoleUrl', {
      value: `https://${this.console.distribution.distributionDomainName}/`,
      description: 'The web console (sign-in through the organization OIDC provider)',
    });
    new CfnOutput(this, 'ArchiveBucketName', {
      value: this.archive.bucket.bucketName,
      description:
        'Audit archive: jit-audit verify --archive s3://<bucket>; Athena table jit_audit_archive.jit_audit',
    });
    new CfnOutput(this, 'AnchorBucketName', {
      value: this.anchors.bucket.bucketName,
      description:
        'Audit anchors (Object Lock COMPLIANCE): jit-audit verify --anchored --anchors s3://<bucket>/anchors/',
    });
    new CfnOutput(this, 'AnchorKeyArn', {
      value: this.anchors.key.keyArn,
      description: 'Verifies the anchors: aws kms get-public-key exports it for offline checks',
    });
    new CfnOutput(this, 'GrantWorkerRoleArn', {
      value: grantWorker.role.roleArn,
      description: 'Trust this role (AssumeRole, SetSourceIdentity, TagSession) in brokered roles',
    });
  }

  /**
   * Alarms when anchoring failed or was refused (the table contradicts the newest anchor), when a
   * closed audit day could not be digested, or the anchor function failed. Kept out of the
   * brokered-role boundary's alarm list, which is at its size limit.
   */
  private addAnchorAlarms(namespace: string, auditAnchor: BrokerFunction, topic: sns.Topic): void {
    const action = new cloudwatchActions.SnsAction(topic);
    // Any failure the anchor function counts in a 5-minute run.
    const countAlarm = (id: string, metricName: string, alarmDescription: string) =>
      new cloudwatch.Alarm(this, id, {
        alarmDescription,
        metric: new cloudwatch.Metric({
          namespace,
          metricName,
          dimensionsMap: { service: auditAnchor.serviceName },
          statistic: cloudwatch.Stats.SUM,
          period: Duration.minutes(5),
        }),
        ...ALARM_ON_ANY_DATAPOINT,
      });
    const alarms = [
      countAlarm(
        'AnchorFailuresAlarm',
        ANCHOR_FAILURES_METRIC,
        'The audit heads could not be anchored, or the table contradicts the newest anchor: run jit-audit verify --anchored',
      ),
      countAlarm(
        'DigestFailuresAlarm',
        DIGEST_FAILURES_METRIC,
        'A closed audit day could not be digested (each run retries; auditors read that day from the index meanwhile): see the audit-anchor logs',
      ),
      new cloudwatch.Alarm(this, 'AuditAnchorErrorsAlarm', {
        alarmDescription: `The ${auditAnchor.serviceName} function failed`,
        metric: auditAnchor.function.metricErrors({
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.SUM,
        }),
        ...ALARM_ON_ANY_DATAPOINT,
      }),
    ];
    for (const alarm of alarms) alarm.addAlarmAction(action);
  }

  private addAlarms(input: {
    namespace: string;
    deadLetters: sqs.Queue;
    grantWorker: BrokerFunction;
    sweeper: BrokerFunction;
    alarmEmail: string | undefined;
  }): { alarms: cloudwatch.Alarm[]; topic: sns.Topic } {
    // CloudWatch can publish only to topics encrypted with a customer key that it may use.
    const key = new kms.Key(this, 'AlarmTopicKey', {
      enableKeyRotation: true,
      description: 'Encrypts the JIT broker alarm topic',
    });
    key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    const topic = new sns.Topic(this, 'AlarmTopic', { masterKey: key, enforceSSL: true });
    if (input.alarmEmail) topic.addSubscription(new subscriptions.EmailSubscription(input.alarmEmail));
    const action = new cloudwatchActions.SnsAction(topic);

    const revokeFailures = (service: string) =>
      new cloudwatch.Metric({
        namespace: input.namespace,
        metricName: REVOKE_FAILURES_METRIC,
        dimensionsMap: { service },
        statistic: cloudwatch.Stats.SUM,
        period: Duration.minutes(1),
      });
    const alarms = [
      new cloudwatch.Alarm(this, 'GrantDeadLettersAlarm', {
        alarmDescription: 'Grant jobs failed after every retry and sit in the dead-letter queue',
        metric: input.deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
        ...ALARM_ON_ANY_DATAPOINT,
      }),
      new cloudwatch.Alarm(this, 'RevokeFailuresAlarm', {
        alarmDescription: 'A revoke failed: someone may keep access past the end of a grant',
        metric: new cloudwatch.MathExpression({
          expression: 'FILL(sweeper, 0) + FILL(worker, 0)',
          usingMetrics: {
            sweeper: revokeFailures(input.sweeper.serviceName),
            worker: revokeFailures(input.grantWorker.serviceName),
          },
          label: REVOKE_FAILURES_METRIC,
          period: Duration.minutes(1),
        }),
        ...ALARM_ON_ANY_DATAPOINT,
      }),
      ...[input.grantWorker, input.sweeper].map(
        (fn) =>
          new cloudwatch.Alarm(this, `${fn.node.id}ErrorsAlarm`, {
            alarmDescription: `The ${fn.serviceName} function failed`,
            metric: fn.function.metricErrors({
              period: Duration.minutes(1),
              statistic: cloudwatch.Stats.SUM,
            }),
            ...ALARM_ON_ANY_DATAPOINT,
          }),
      ),
    ];
    for (const alarm of alarms) alarm.addAlarmAction(action);
    return { alarms, topic };
  }
}

function toPascal(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
}
