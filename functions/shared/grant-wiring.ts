import { Metrics } from '@aws-lambda-powertools/metrics';
// The Web API client alone: importing Bolt here would bundle its HTTP receivers into every grant-side function.
import { WebClient } from '@slack/web-api';
import { z } from 'zod';
import { createAwsClients, type AwsClients } from '../../shared/adapters/aws/clients.js';
import { FederationConsole, type FetchLike } from '../../shared/adapters/aws/federation-console.js';
import { IamGroupMembership } from '../../shared/adapters/aws/iam-group-membership.js';
import { IamSessionRevoker } from '../../shared/adapters/aws/iam-session-revoker.js';
import { PowertoolsGrantMetrics } from '../../shared/adapters/aws/powertools-metrics.js';
import { readSlackSecret } from '../../shared/adapters/aws/slack-secret.js';
import { SqsGrantQueue } from '../../shared/adapters/aws/sqs-grant-queue.js';
import { StsSessionVendor } from '../../shared/adapters/aws/sts-session-vendor.js';
import { SlackCredentialsDelivery } from '../../shared/adapters/slack/credentials-delivery.js';
import { SlackDirectory } from '../../shared/adapters/slack/directory.js';
import { SlackNotifier } from '../../shared/adapters/slack/notifier.js';
import { ENV, readEnv } from '../../shared/config/env.js';
import { ConfigError } from '../../shared/domain/errors.js';
import type { CredentialsDelivery, GrantQueue, Notifier } from '../../shared/domain/ports.js';
import type { RequestDeps } from '../../shared/usecases/deps.js';
import type { GrantDeps } from '../../shared/usecases/grant-deps.js';
import { restoreInProcess, restoreThroughQueue } from '../../shared/usecases/restore-membership.js';
import { baseWiring, once, useCaseLogger, type BaseWiring } from './wiring.js';

const flag = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1');

const grantEnvShape = {
  [ENV.grantQueueUrl]: z.string().url().optional(),
  [ENV.grantMaxAttempts]: z.coerce.number().int().min(1).max(50).default(5),
  [ENV.sweepConcurrency]: z.coerce.number().int().min(1).max(200).default(10),
  [ENV.reconcileRemove]: flag,
  [ENV.federationUrl]: z.string().url().optional(),
  [ENV.consoleDestination]: z.string().url().optional(),
  [ENV.revokeMarginSeconds]: z.coerce.number().int().min(0).max(86_400).optional(),
  [ENV.metricsNamespace]: z.string().min(1).default('JitAccessBroker'),
  [ENV.slackSecretArn]: z.string().min(1).optional(),
  [ENV.slackBotToken]: z.string().min(1).optional(),
  [ENV.slackApiUrl]: z.string().url().optional(),
};

/** Settings of the grant side, from the environment. */
export interface GrantSettings {
  /** Deliveries of an activate/revoke job before the grant is given up (FAILED / alert). */
  readonly maxAttempts: number;
  readonly sweepConcurrency: number;
  readonly reconcileRemove: boolean;
}

/** The Slack side of the grant ports (notifications, credentials modal). */
export interface SlackPorts {
  readonly notifier: Notifier;
  readonly delivery: CredentialsDelivery;
}

export interface GrantWiring {
  readonly base: BaseWiring;
  readonly clients: AwsClients;
  readonly deps: GrantDeps;
  readonly settings: GrantSettings;
  readonly metrics: Metrics;
  /** The SQS queue (when GRANT_QUEUE_URL is set): the hand-off and its retry backoff. */
  readonly queue?: SqsGrantQueue;
  /** The request-side ports over the same store (for the sweeper's pending follow-up). */
  readonly requestDeps: RequestDeps;
}

export interface GrantWiringOptions {
  readonly base?: BaseWiring;
  readonly clients?: AwsClients;
  /** Slack ports; by default built lazily from the Slack secret on first use. */
  readonly slack?: SlackPorts;
  readonly fetch?: FetchLike;
  readonly metrics?: Metrics;
  /**
   * How a membership taken away by an overlapping grant's end is put back (GrantDeps.repairs):
   * `in-process` runs the restore here (the grant worker, which may add to groups); `queue`
   * hands a `restore-membership` job to the worker (the sweeper, which may only remove).
   * Default: `queue` when GRANT_QUEUE_URL is set, else `in-process`.
   */
  readonly membershipRepairs?: 'in-process' | 'queue';
}

/**
 * Wires the grant side: AWS clients (built once, in clients.ts), the IAM/STS/federation
 * adapters, Slack notifications and credentials delivery, Powertools metrics. No I/O here:
 * the Slack secret is read on the first notification.
 */
export function createGrantWiring(options: GrantWiringOptions = {}): GrantWiring {
  const base = options.base ?? baseWiring();
  const env = readEnv(grantEnvShape, base.env);
  const clients = options.clients ?? createAwsClients();
  const metrics = options.metrics ?? new Metrics({ namespace: env[ENV.metricsNamespace] });
  const slack = options.slack ?? lazySlackPorts(base, clients, env);
  const queueUrl = env[ENV.grantQueueUrl];
  const queue = queueUrl ? new SqsGrantQueue(clients.sqs, queueUrl) : undefined;
  const logger = useCaseLogger(base.logger);
  const unwiredQueue: GrantQueue = {
    enqueue: () => Promise.reject(new ConfigError(`${ENV.grantQueueUrl} is not set.`)),
  };
  const repairMode = options.membershipRepairs ?? (queue ? 'queue' : 'in-process');
  if (repairMode === 'queue' && !queue) {
    // Why: without the queue a membership taken away by a race would never come back.
    throw new ConfigError(`${ENV.grantQueueUrl} is not set: memberships cannot be restored.`);
  }
  const ports: Omit<GrantDeps, 'repairs'> = {
    store: base.store,
    audit: base.audit,
    policy: base.policy,
    clock: base.clock,
    logger,
    notifier: slack.notifier,
    delivery: slack.delivery,
    groups: new IamGroupMembership(clients.iam),
    sessions: new StsSessionVendor(clients.sts),
    denyList: new IamSessionRevoker(clients.iam, env[ENV.revokeMarginSeconds]),
    consoleLinks: new FederationConsole({
      ...(env[ENV.federationUrl] ? { federationUrl: env[ENV.federationUrl] } : {}),
      ...(env[ENV.consoleDestination] ? { destination: env[ENV.consoleDestination] } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    }),
    metrics: new PowertoolsGrantMetrics(metrics),
  };
  const deps: GrantDeps = {
    ...ports,
    repairs: queue && repairMode === 'queue' ? restoreThroughQueue(queue) : restoreInProcess(ports),
  };
  return {
    base,
    clients,
    deps,
    metrics,
    settings: {
      maxAttempts: env[ENV.grantMaxAttempts],
      sweepConcurrency: env[ENV.sweepConcurrency],
      reconcileRemove: env[ENV.reconcileRemove],
    },
    ...(queue ? { queue } : {}),
    requestDeps: {
      store: base.store,
      audit: base.audit,
      policy: base.policy,
      clock: base.clock,
      ids: base.ids,
      notifier: slack.notifier,
      queue: queue ?? unwiredQueue,
      logger,
    },
  };
}

/** Slack ports that read the bot token (env, or the Slack secret) on first use. */
function lazySlackPorts(
  base: BaseWiring,
  clients: AwsClients,
  env: { [ENV.slackSecretArn]?: string; [ENV.slackBotToken]?: string; [ENV.slackApiUrl]?: string },
): SlackPorts {
  const client = once(async () => {
    const secretArn = env[ENV.slackSecretArn];
    const token =
      env[ENV.slackBotToken] ??
      (secretArn ? (await readSlackSecret(clients.secrets, secretArn)).botToken : undefined);
    if (!token) throw new ConfigError(`Set ${ENV.slackSecretArn} or ${ENV.slackBotToken} to reach Slack.`);
    return new WebClient(token, {
      ...(env[ENV.slackApiUrl] ? { slackApiUrl: env[ENV.slackApiUrl] } : {}),
      retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 1000 },
      timeout: 5000,
    });
  });
  const ports = once(async () => {
    const web = await client();
    return {
      notifier: new SlackNotifier(web, base.policy, new SlackDirectory(web, base.clock)),
      delivery: new SlackCredentialsDelivery(web),
    };
  });
  return {
    notifier: { notify: async (n) => (await ports()).notifier.notify(n) },
    delivery: {
      deliver: async (job, grant, credentials) => (await ports()).delivery.deliver(job, grant, credentials),
      deliverFailure: async (job, message) => (await ports()).delivery.deliverFailure(job, message),
    },
  };
}
