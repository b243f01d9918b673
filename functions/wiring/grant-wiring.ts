import { Metrics } from '@aws-lambda-powertools/metrics';
// The Web API client alone: importing Bolt here would bundle its HTTP receivers into every grant-side function.
import { WebClient } from '@slack/web-api';
import * as z from 'zod';
import { createAwsClients, createIamClient, type AwsClients } from '../../shared/adapters/aws/clients.js';
import { agentRoleGroups } from '../../shared/targets/group/member-account-groups.js';
import { FederationConsole, type FetchLike } from '../../shared/adapters/aws/federation-console.js';
import { IdentityCenterUsers } from '../../shared/adapters/aws/identity-center-users.js';
import { IdentityStoreGroupMembership } from '../../shared/targets/identity-center-group/identity-store-membership.js';
import { IamGroupMembership } from '../../shared/targets/group/iam-group-membership.js';
import { IamSessionRevoker } from '../../shared/targets/role/iam-session-revoker.js';
import { permissionSetAdapters } from '../../shared/targets/permission-set/adapters.js';
import { permissionSetAccountDirectory } from '../../shared/targets/permission-set/account-directory.js';
import type { AccountDirectory } from '../../shared/domain/account-directory.js';
import { PowertoolsGrantMetrics } from '../../shared/adapters/aws/powertools-metrics.js';
import { SqsGrantQueue } from '../../shared/adapters/aws/sqs-grant-queue.js';
import { StsSessionVendor } from '../../shared/targets/role/sts-session-vendor.js';
import { SlackCredentialsDelivery } from '../../shared/adapters/slack/credentials-delivery.js';
import { routeCredentials, type CredentialsMailbox } from '../../shared/adapters/credentials-mailbox.js';
import { DynamoCredentialsMailbox } from '../../shared/adapters/dynamodb/credentials-mailbox.js';
import { SlackDirectory } from '../../shared/adapters/slack/directory.js';
import { loadSlackWebSettings, SLACK_SECRET_MAX_AGE_SECONDS } from '../../shared/adapters/slack/runtime.js';
import { ENV, readEnv } from '../../shared/config/env.js';
import { readGrantSettings, type GrantSettings } from '../../shared/config/grant-settings.js';
import { ConfigError } from '../../shared/domain/errors.js';
import { formatIssuePath, type AccessPolicy } from '../../shared/domain/policy.js';
import type {
  CredentialsDelivery,
  EventPublisher,
  GrantQueue,
  PersonDirectory,
} from '../../shared/domain/ports.js';
import type { RequestDeps, UseCaseLogger } from '../../shared/usecases/deps.js';
import { isRoleTarget } from '../../shared/targets/role/kind.js';
import { createTargetDrivers } from '../../shared/targets/drivers.js';
import type { GrantDeps } from '../../shared/usecases/grant-deps.js';
import { restoreInProcess, restoreThroughQueue } from '../../shared/usecases/restore-membership.js';
import { baseWiring, requestPorts, useCaseLogger, type BaseWiring } from './base-wiring.js';
import { createEventBus, eventsOverSlackClient } from './event-wiring.js';

/** Environment the grant side reads besides its settings (the Slack Web API credentials). */
const slackEnvShape = {
  [ENV.slackSecretArn]: z.string().min(1).optional(),
  [ENV.slackBotToken]: z.string().min(1).optional(),
  [ENV.slackApiUrl]: z.url().optional(),
};

/** The console's credentials mailbox table (AWS), when this function delivers or collects there. */
const mailboxEnvShape = { [ENV.credentialsMailboxTable]: z.string().min(1).optional() };

/** The Slack side of the grant ports (the event subscribers, credentials modal). */
export interface SlackPorts {
  /** Where the use cases publish: the registered subscribers (functions/wiring/event-wiring.ts). */
  readonly events: EventPublisher;
  readonly delivery: CredentialsDelivery;
  /** Slack persons' emails and user groups (the Slack function's SlackDirectory, over the same token). */
  readonly directory?: PersonDirectory;
}

export interface GrantWiring {
  readonly base: BaseWiring;
  readonly clients: AwsClients;
  readonly deps: GrantDeps;
  readonly settings: GrantSettings;
  readonly metrics: Metrics;
  /** The SQS queue (when GRANT_QUEUE_URL is set and no other hand-off is given): the hand-off and its retry backoff. */
  readonly queue?: SqsGrantQueue;
  /** The request-side ports over the same store (for the sweeper's pending follow-up). */
  readonly requestDeps: RequestDeps;
  /** Who Slack persons are (emails, user groups), for front doors that act as them (the request API). */
  readonly slackDirectory?: PersonDirectory;
  /**
   * Account names and the accounts a target reaches (the Slack function's directory, over the
   * same Organization and Identity Center reads): `requestDeps.accounts` and the Slack messages.
   */
  readonly accounts: AccountDirectory;
  /**
   * The console's credentials mailbox (CREDENTIALS_MAILBOX_TABLE_NAME set): `deps.delivery`
   * sends console tickets there, and the console API collects from it.
   */
  readonly credentialsMailbox?: CredentialsMailbox;
}

/** The AWS-facing grant ports an entry point may replace (the local runner's sandbox). */
export type AwsGrantPorts = Pick<GrantDeps, 'targets' | 'consoleLinks' | 'metrics'>;

export interface GrantWiringOptions {
  readonly base?: BaseWiring;
  /** Settings already validated (the local runner's); otherwise read from `base.env`. */
  readonly settings?: GrantSettings;
  readonly clients?: AwsClients;
  /** Slack ports; by default built lazily from the Slack secret on first use. */
  readonly slack?: SlackPorts;
  /**
   * The account directory (the local runner's sandbox organization); by default the
   * permission-set kind's over `clients` (Organizations and Identity Center reads, cached).
   */
  readonly accounts?: AccountDirectory;
  readonly fetch?: FetchLike;
  readonly metrics?: Metrics;
  /** Replacements of the AWS-facing ports; the membership repairs go through them too. */
  readonly ports?: Partial<AwsGrantPorts>;
  /** The hand-off to the grant worker, instead of the SQS queue (the local runner's in-process queue). */
  readonly handOff?: GrantQueue;
  /**
   * How a membership taken away by an overlapping grant's end is put back (GrantDeps.repairs):
   * `in-process` runs the restore here (the grant worker, which may add to groups); `queue`
   * hands a `restore-membership` job to the worker (the sweeper, which may only remove).
   * Default: `queue` when there is a hand-off, else `in-process`.
   */
  readonly membershipRepairs?: 'in-process' | 'queue';
}

/**
 * The one factory of the grant side's ports, for every entry point: AWS clients (built once,
 * in clients.ts), the IAM/STS/federation adapters, Slack notifications and credentials
 * delivery, Powertools metrics, and the request-side ports over the same store. Entry points
 * that run elsewhere (the local runner) override ports here rather than re-deriving them.
 * No I/O here: the Slack secret is read on the first notification.
 */
export function createGrantWiring(options: GrantWiringOptions = {}): GrantWiring {
  const base = options.base ?? baseWiring();
  readEnv(slackEnvShape, base.env);
  const settings = options.settings ?? readGrantSettings(base.env);
  if (settings.managedIamPath !== undefined)
    assertManagedRoles(base.policy.current(), settings.managedIamPath);
  const clients = options.clients ?? createAwsClients();
  const metrics = options.metrics ?? new Metrics({ namespace: settings.metricsNamespace });
  const logger = useCaseLogger(base.logger);
  const permissionSets = permissionSetAdapters(clients);
  // One directory per wiring (per container): its Organization reads are cached across calls.
  const accounts = options.accounts ?? permissionSetAccountDirectory(permissionSets);
  const slack = options.slack ?? lazySlackPorts(base, logger, accounts);
  const mailboxTable = readEnv(mailboxEnvShape, base.env)[ENV.credentialsMailboxTable];
  const mailbox =
    mailboxTable === undefined ? undefined : new DynamoCredentialsMailbox(base.doc, mailboxTable, base.clock);
  const queue =
    !options.handOff && settings.grantQueueUrl
      ? new SqsGrantQueue(clients.sqs, settings.grantQueueUrl)
      : undefined;
  const handOff = options.handOff ?? queue;
  const repairMode = options.membershipRepairs ?? (handOff ? 'queue' : 'in-process');
  if (repairMode === 'queue' && !handOff) {
    // Why: without the queue a membership taken away by a race would never come back.
    throw new ConfigError(`${ENV.grantQueueUrl} is not set: memberships cannot be restored.`);
  }
  const ports: Omit<GrantDeps, 'repairs'> = {
    store: base.store,
    audit: base.audit,
    policy: base.policy,
    clock: base.clock,
    logger,
    events: slack.events,
    // Console tickets go to the mailbox, Slack modals to Slack.
    delivery: mailbox ? routeCredentials(mailbox, slack.delivery) : slack.delivery,
    // [target drivers] every kind's AWS steps, wired from the registry (shared/targets/drivers.ts).
    targets: createTargetDrivers({
      groups: new IamGroupMembership(clients.iam),
      sessions: new StsSessionVendor(clients.sts),
      denyList: new IamSessionRevoker(clients.iam, settings.revokeMarginSeconds),
      permissionSets,
      // Member-account groups: AssumeRole on the account's agent role, named for the broker in its CloudTrail.
      memberAccountGroups: agentRoleGroups({
        sts: clients.sts,
        iamClient: (credentials) => createIamClient({}, credentials),
        sessionName: 'jit-broker',
        partition: settings.partition,
      }),
      identityCenterGroups: new IdentityStoreGroupMembership(clients.identityStore),
      identityCenterUsers: new IdentityCenterUsers(clients.identityStore),
    }),
    consoleLinks: new FederationConsole({
      ...(settings.federationUrl ? { federationUrl: settings.federationUrl } : {}),
      ...(settings.consoleDestination ? { destination: settings.consoleDestination } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    }),
    metrics: new PowertoolsGrantMetrics(metrics),
    ...options.ports,
  };
  const deps: GrantDeps = {
    ...ports,
    repairs: handOff && repairMode === 'queue' ? restoreThroughQueue(handOff) : restoreInProcess(ports),
  };
  const unwiredQueue: GrantQueue = {
    enqueue: () => Promise.reject(new ConfigError(`${ENV.grantQueueUrl} is not set.`)),
  };
  return {
    base,
    clients,
    deps,
    metrics,
    settings,
    ...(queue ? { queue } : {}),
    ...(slack.directory ? { slackDirectory: slack.directory } : {}),
    ...(mailbox ? { credentialsMailbox: mailbox } : {}),
    accounts,
    requestDeps: {
      ...requestPorts(base, handOff ?? unwiredQueue, logger),
      events: slack.events,
      accounts,
    },
  };
}

/**
 * Start-up guard: every role target of the policy lies under the managed IAM path.
 * Why: the broker may only ever assume or restrict roles it manages; a policy naming another
 * role (a typo, or a role granting more) must stop the function before any grant runs.
 * Group targets carry only a name; the stack scopes their ARNs to the path.
 */
function assertManagedRoles(policy: AccessPolicy, managedPath: string): void {
  const prefix = `role${managedPath}`;
  policy.targets.forEach((target, i) => {
    if (!isRoleTarget(target)) return; // [target drivers] the role kind's guard, not a literal
    const resource = target.roleArn.split(':').slice(5).join(':');
    if (!resource.startsWith(prefix)) {
      throw new ConfigError(
        `${formatIssuePath(['targets', i, 'roleArn'])}: role target ${target.id} (${target.roleArn}) is not under ${ENV.managedIamPath} ${managedPath}`,
      );
    }
  });
}

/**
 * Slack ports over a Web API client built from the bot token (the Slack secret, else
 * SLACK_BOT_TOKEN) on first use. The token is read again once it is older than
 * SLACK_SECRET_MAX_AGE_SECONDS (the wiring's clock), and the client rebuilt only when it changed,
 * so a rotated token reaches a warm function within minutes. Messages name accounts through
 * `accounts`.
 */
function lazySlackPorts(base: BaseWiring, logger: UseCaseLogger, accounts: AccountDirectory): SlackPorts {
  // The messages name accounts ("Prod (111122223333)") as the Slack function's do.
  const eventsOver = eventsOverSlackClient(base, logger, accounts);
  const maxAgeMs = SLACK_SECRET_MAX_AGE_SECONDS * 1000;
  let current: { botToken: string; readAtMs: number; ports: SlackPorts } | undefined;
  let refreshing: Promise<SlackPorts> | undefined;
  const refresh = async (): Promise<SlackPorts> => {
    const settings = await loadSlackWebSettings(base.env);
    const readAtMs = base.clock.now().getTime();
    if (current?.botToken === settings.botToken) {
      current = { ...current, readAtMs };
      return current.ports;
    }
    const web = new WebClient(settings.botToken, {
      ...(settings.slackApiUrl ? { slackApiUrl: settings.slackApiUrl } : {}),
      retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 1000 },
      timeout: 5000,
    });
    const ports: SlackPorts = {
      events: eventsOver(web),
      delivery: new SlackCredentialsDelivery(web),
      directory: new SlackDirectory(web, base.clock),
    };
    current = { botToken: settings.botToken, readAtMs, ports };
    return ports;
  };
  const ports = (): Promise<SlackPorts> => {
    if (current && base.clock.now().getTime() - current.readAtMs < maxAgeMs) {
      return Promise.resolve(current.ports);
    }
    // Concurrent callers share one read; a failed read is retried by the next caller.
    refreshing ??= refresh().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  };
  return {
    // A bus in front of the one built with the client: a failed secret read is logged like a failed subscriber.
    events: createEventBus(logger, [
      { name: 'slack-subscribers', handle: async (event) => (await ports()).events.publish(event) },
    ]),
    delivery: {
      deliver: async (job, grant, credentials) => (await ports()).delivery.deliver(job, grant, credentials),
      deliverFailure: async (job, message) => (await ports()).delivery.deliverFailure(job, message),
    },
    directory: {
      providers: ['slack'],
      emailOf: async (person) => (await ports()).directory?.emailOf(person),
      groupsOf: async (person, groups) => (await ports()).directory?.groupsOf(person, groups) ?? [],
    },
  };
}
