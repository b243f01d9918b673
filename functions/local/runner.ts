import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DynamoAuditDigests } from '../../shared/adapters/dynamodb/audit-digests.js';
import { DynamoAuditQuery } from '../../shared/adapters/dynamodb/audit-query.js';
import { prepareLocalTables, type LocalTablesSetup } from '../../shared/adapters/dynamodb/local-setup.js';
import { SandboxAws } from '../../shared/adapters/sandbox/sandbox-aws.js';
import { SandboxCloudTrail } from '../../shared/adapters/sandbox/sandbox-cloudtrail.js';
import {
  ACTIVITY_LOOKBACK_DAYS,
  LOOKUP_EVENTS_PER_SECOND,
  readActivitySettings,
  type ActivitySettings,
} from '../../shared/config/activity-settings.js';
import { TokenBucket } from '../../shared/domain/activity.js';
import { createActivityWiring } from '../wiring/activity-wiring.js';
import { SlackWebApiSandbox, type SlackCall } from '../../shared/adapters/sandbox/slack-web-api.js';
import { createSocketModeSlackApp } from '../slack/app.js';
import { permissionSetAccountDirectory } from '../../shared/targets/permission-set/account-directory.js';
import { ENV } from '../../shared/config/env.js';
import { loadPolicyVersion } from '../../shared/config/policy-file.js';
import { ConfigError } from '../../shared/domain/errors.js';
import type { GrantMetricName } from '../../shared/domain/grant-ports.js';
import type { AccessPolicy } from '../../shared/domain/policy.js';
import type { Clock } from '../../shared/domain/ports.js';
import { createAuditApiHandler, type AuditApiEvent } from '../audit-api/handler.js';
import { createGrantWorkerHandler } from '../grant-worker/handler.js';
import { createGrantWiring } from '../wiring/grant-wiring.js';
import { createBaseWiring, listenerLogger, requestPorts } from '../wiring/base-wiring.js';
import { eventsOverSlackClient } from '../wiring/event-wiring.js';
import { createHandler as createSlackHandler, type SlackLambdaEvent } from '../slack/create-handler.js';
import { createSweeperHandler, type SweepRun } from '../sweeper/handler.js';
import { createRequestApiHandler } from '../request-api/handler.js';
import { apiPeople } from '../request-api/caller-directory.js';
import { LOCAL_API_KEYS, localRequestApi } from './request-api-gate.js';
import { LOCAL_DEFAULTS, type LocalConfig } from './config.js';
import { InProcessGrantQueue } from './local-queue.js';
import { WebClient } from '@slack/web-api';
import { SlackDirectory } from '../../shared/adapters/slack/directory.js';
import type { PersonDirectory } from '../../shared/domain/ports.js';
import { DevSessions } from '../console-api/caller.js';
import { ConsoleCredentialsMailbox, routeCredentials } from '../console-api/credentials-mailbox.js';
import { CONSOLE_PATH, createLocalConsole } from './console-server.js';
import { createLocalAnchoring, type LocalAnchoring } from './anchors.js';
import { createLocalArchive, type LocalArchive } from './archive.js';
import { createLocalReviews, type LocalReviews } from './reviews.js';
import { DynamoReviewMarkers } from '../../shared/adapters/dynamodb/review-markers.js';
import { SlackReviewPoster } from '../../shared/adapters/slack/review-poster.js';
import type { AuditDigestStore } from '../../shared/domain/audit-digest.js';
import type { AuditChainReader, AuditReader } from '../../shared/domain/audit-query.js';
import { reviewPeriodName } from '../../shared/domain/review-delivery.js';
import { SweepGate, type SweeperHealth } from './sweep-gate.js';

/** The port the local broker should listen on is taken: one clear line, no stack trace. */
export class PortInUseError extends ConfigError {
  static {
    this.prototype.name = 'PortInUseError';
  }

  constructor(port: number, host: string, options: { cause?: unknown } = {}) {
    super(`port ${port} on ${host} is in use (another broker?): set PORT or stop it`, options);
  }
}

/** The IAM identity the local audit API reports for loopback callers (no SigV4 locally). */
export const LOCAL_AUDITOR_ARN = 'arn:aws:iam::000000000000:user/local-auditor';

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The sandbox CloudTrail holds its records at once (no ~15-minute delivery) and is one trail
 * (no Regions): an ended role grant is summarised by the next sweep.
 */
const SANDBOX_ACTIVITY_SETTINGS: ActivitySettings = Object.freeze({ regions: ['sandbox'], settleSeconds: 0 });

/** The share of the sweep's time left that the activity lookups may wait for their budget (as in Lambda). */
const ACTIVITY_SHARE = 0.5;

export interface LocalBroker {
  /** Base URL of the broker: POST /slack/events, GET /audit/events, /audit/verify, /health, /sandbox. */
  readonly url: string;
  /** The web console (development sign-in while sandboxed on loopback). */
  readonly consoleUrl: string;
  readonly config: LocalConfig;
  readonly policy: AccessPolicy;
  readonly dynamoEndpoint: string;
  /** The Slack Web API the broker calls (the built-in sandbox unless SLACK_API_URL is set). */
  readonly slackApiUrl?: string;
  /** The built-in Slack sandbox, when it runs. */
  readonly slack?: SlackWebApiSandbox;
  /** The AWS sandbox, in AWS_MODE=sandbox. */
  readonly sandbox?: SandboxAws;
  /** The sandbox's CloudTrail (the activity of role sessions), in AWS_MODE=sandbox. */
  readonly cloudTrail?: SandboxCloudTrail;
  readonly queue: InProcessGrantQueue;
  /** The embedded DynamoDB Local's Java process (absent with AWS_ENDPOINT_URL_DYNAMODB). */
  readonly dynamoPid?: number;
  /** Runs one sweep now, or joins the one running unless it is stuck (the timer runs one every SWEEP_INTERVAL_SECONDS). */
  sweepNow(): Promise<SweepRun>;
  /** What GET /health answers: DynamoDB reachable, the sweeper's last run and whether one is stuck. */
  health(): Promise<LocalHealth>;
  /** The audit evidence this broker writes on its sweep timer, and how to read the trail in-process. */
  readonly evidence: LocalEvidence;
  stop(): Promise<void>;
}

/** The local broker's audit evidence: anchors, archive and access reviews, each in a local folder. */
export interface LocalEvidence {
  /** The audit table's name (anchors name the table they vouch for). */
  readonly auditTable: string;
  /** The audit trail, as the auditors' CLI reads it (`jit-audit` run in-process). */
  readonly reader: AuditReader & AuditChainReader;
  /** The audit digests the anchor run writes (the reader reads a target's closed days from them). */
  readonly digests: Pick<AuditDigestStore, 'span' | 'readAll'>;
  readonly anchors: LocalAnchoring;
  readonly archive: LocalArchive;
  readonly reviews: LocalReviews;
}

/** The local broker's health (GET /health: 200 when `status` is `ok`, else 503). */
export interface LocalHealth {
  readonly status: 'ok' | 'degraded';
  readonly dynamodb: 'ok' | 'down';
  readonly dynamodbReason?: string;
  readonly dynamodbEndpoint: string;
  readonly sweeper: SweeperHealth;
  readonly awsMode: LocalConfig['AWS_MODE'];
  readonly slackApiUrl: string;
  readonly targets: readonly string[];
  readonly deadLetters: number;
}

export interface StartLocalBrokerOptions {
  readonly config: LocalConfig;
  /** The clock of the use cases; the demo and tests move it to show expiry without waiting. */
  readonly clock?: Clock;
  /** Where the runner prints its timeline (one line each). */
  readonly print?: (line: string) => void;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * The default signing secret is public (it is in the source and the README): it is only
 * accepted while nothing real can be reached, i.e. AWS and Slack are both sandboxed and the
 * broker listens on loopback. Why: with it, anyone who can reach the port could forge
 * requests and approvals.
 */
export function assertSafeLocalConfig(config: LocalConfig): void {
  const defaultSecret = config[ENV.slackSigningSecret] === LOCAL_DEFAULTS.SLACK_SIGNING_SECRET;
  if (defaultSecret && !isSandboxedOnLoopback(config)) {
    throw new ConfigError(
      `Invalid configuration:\n  ${ENV.slackSigningSecret}: the built-in local secret is only allowed with AWS_MODE=sandbox, the built-in Slack sandbox and a loopback HOST; set your Slack app's signing secret`,
    );
  }
}

/**
 * Whether nothing real can be reached: AWS and Slack both sandboxed, and the broker on a
 * loopback host. The default signing secret and the console's development sign-in (pick any
 * person) are allowed only then.
 */
export function isSandboxedOnLoopback(config: LocalConfig): boolean {
  return (
    config.AWS_MODE === 'sandbox' &&
    !config[ENV.slackApiUrl] &&
    !config.SLACK_APP_TOKEN &&
    LOOPBACK_HOSTS.has(config.HOST)
  );
}

/** A Lambda context for handlers run in-process; its remaining time counts down from `budgetMs`. */
function localContext(functionName: string, budgetMs = 50_000): Context {
  const startedAt = Date.now();
  return {
    functionName,
    functionVersion: '$LATEST',
    awsRequestId: randomUUID(),
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    logGroupName: `/local/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, budgetMs - (Date.now() - startedAt)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[key.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
}

/**
 * Whether a request comes from this machine and was addressed to it by a loopback name.
 * Why the Host check: a web page could otherwise reach loopback through DNS rebinding.
 */
function isLocalRequest(req: IncomingMessage): boolean {
  const address = req.socket.remoteAddress ?? '';
  const fromLoopback = address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  return fromLoopback && LOOPBACK_HOSTS.has(host);
}

/** Credentials shown in a private modal must not be served again by /sandbox. */
export function redactSecrets(text: string): string {
  return text
    .replace(/(AWS_SECRET_ACCESS_KEY=)[^\s"\\`]+/g, '$1[redacted]')
    .replace(/(AWS_SESSION_TOKEN=)[^\s"\\`]+/g, '$1[redacted]')
    .replace(/(SigninToken=)[^\s"\\&`>|]+/g, '$1[redacted]');
}

/** A readable line for a Slack call the sandbox received. */
function describeSlackCall(call: SlackCall): string | undefined {
  const text = typeof call.args.text === 'string' ? call.args.text.replace(/\s+/g, ' ').slice(0, 140) : '';
  switch (call.method) {
    case 'chat.postMessage':
      return `slack  → ${String(call.response.channel)}: ${text}`;
    case 'chat.update':
      return `slack  ↻ ${String(call.args.channel)} (message updated): ${text}`;
    case 'chat.postEphemeral':
      return `slack  → ${String(call.args.user)} (only they see it): ${text}`;
    case 'views.open':
    case 'views.update':
    case 'views.publish': {
      const view = call.args.view as { title?: { text?: string }; type?: string } | undefined;
      return `slack  ▢ ${call.method} ${view?.title?.text ?? view?.type ?? ''}`;
    }
    default:
      return undefined;
  }
}

/**
 * Starts the whole broker on this machine: DynamoDB Local (embedded), the tables, the
 * policy, the same handlers the Lambda functions run (Slack, grant worker, sweeper, audit
 * API) wired to an in-process grant queue, and an HTTP server. No AWS account or Slack
 * workspace is needed: IAM/STS go to a recording sandbox and Slack's Web API to a local
 * sandbox, unless configured otherwise.
 */
export async function startLocalBroker(options: StartLocalBrokerOptions): Promise<LocalBroker> {
  const { config } = options;
  const print = options.print ?? ((line: string) => console.log(line));
  const say = (line: string) => {
    if (!config.LOCAL_QUIET) print(line);
  };
  assertSafeLocalConfig(config);
  const { policy, version: policyVersion } = loadPolicyVersion(config[ENV.policyPath]);
  const clock = options.clock ?? { now: () => new Date() };
  const stops: (() => Promise<void> | void)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop();
  };

  try {
    let slack: SlackWebApiSandbox | undefined;
    let slackApiUrl = config[ENV.slackApiUrl];
    if (!slackApiUrl && !config.SLACK_APP_TOKEN) {
      slack = await new SlackWebApiSandbox().start(0, '127.0.0.1');
      slack.defaultEmail = (userId) => `${userId.toLowerCase()}@${config.SANDBOX_EMAIL_DOMAIN}`;
      slack.onCall = (call) => {
        const line = describeSlackCall(call);
        if (line) say(line);
      };
      slackApiUrl = slack.url;
      stops.push(() => slack?.stop());
    }

    const tables: LocalTablesSetup = await prepareLocalTables({
      tablePrefix: config.TABLE_PREFIX,
      ...(config.AWS_ENDPOINT_URL_DYNAMODB ? { endpoint: config.AWS_ENDPOINT_URL_DYNAMODB } : {}),
      ...(config.LOCAL_DATA_DIR === 'memory' ? {} : { dataDir: resolve(config.LOCAL_DATA_DIR) }),
      onNotice: print,
    });
    stops.push(() => tables.stop());

    const logger = new Logger({
      serviceName: 'jit-local',
      logLevel: (process.env.POWERTOOLS_LOG_LEVEL as 'WARN' | undefined) ?? 'WARN',
    });
    const base = createBaseWiring({
      // The tables and the Slack Web API this runner set up; the grant settings come validated.
      env: {
        [ENV.requestsTable]: tables.names.requests,
        [ENV.auditTable]: tables.names.audit,
        [ENV.policyPath]: config[ENV.policyPath],
        [ENV.slackBotToken]: config[ENV.slackBotToken],
        ...(slackApiUrl ? { [ENV.slackApiUrl]: slackApiUrl } : {}),
      },
      doc: tables.doc,
      policy,
      policyVersion,
      clock,
      logger,
    });
    const counts = new Map<GrantMetricName, number>();
    const metrics = {
      count: (name: GrantMetricName, value = 1) => counts.set(name, (counts.get(name) ?? 0) + value),
    };
    let sandbox: SandboxAws | undefined;
    let cloudTrail: SandboxCloudTrail | undefined;
    if (config.AWS_MODE === 'sandbox') {
      const trail = new SandboxCloudTrail();
      cloudTrail = trail;
      sandbox = new SandboxAws(clock, (record) => {
        trail.observe(record);
        say(`aws    ✎ ${record.action} ${Object.values(record.detail).join(' ')} (sandbox, not AWS)`);
      });
    }
    // The worker is wired below, over the same ports; the queue calls it once it exists.
    const wired: { worker?: (event: SQSEvent) => Promise<SQSBatchResponse> } = {};
    const queue = new InProcessGrantQueue(
      (event) => (wired.worker as NonNullable<typeof wired.worker>)(event),
      {
        maxReceives: config.grant.maxAttempts + 1,
        backoffMs: (receives) => Math.min(10_000, 500 * 2 ** (receives - 1)),
        onDeadLetter: (letter) => print(`queue  ✗ ${letter.job.kind} ${letter.job.requestId} dead-lettered`),
      },
    );
    stops.push(() => queue.stop());
    const grant = createGrantWiring({
      base,
      settings: config.grant,
      handOff: queue,
      // One process may add and remove: memberships are restored here (through the sandbox, if any).
      membershipRepairs: 'in-process',
      // The accounts picker and account names: the sandbox's organization, else AWS's (the default).
      ...(sandbox
        ? { accounts: permissionSetAccountDirectory(sandbox.identityCenter.permissionSetAdapters()) }
        : {}),
      ports: {
        metrics,
        ...(sandbox
          ? {
              targets: sandbox.targetDrivers(),
              consoleLinks: sandbox.consoleLinks,
            }
          : {}),
      },
    });
    const { deps, requestDeps } = grant;
    // Credentials asked for in the console wait in memory for their owner; the rest go to Slack.
    const mailbox = new ConsoleCredentialsMailbox(clock);
    wired.worker = createGrantWorkerHandler({
      deps: { ...deps, delivery: routeCredentials(mailbox, deps.delivery) },
      maxAttempts: grant.settings.maxAttempts,
      logger: base.logger,
    });

    const appLogger = listenerLogger(logger);
    const { accounts } = grant;
    const slackOptions = {
      signingSecret: config[ENV.slackSigningSecret],
      botToken: config[ENV.slackBotToken],
      ...(slackApiUrl ? { slackApiUrl } : {}),
      deps: {
        ...requestPorts(base, queue, appLogger),
        accounts,
      },
      events: eventsOverSlackClient(base, appLogger, accounts),
      logger: appLogger,
    };
    const slackHandler = createSlackHandler({ load: async () => slackOptions });
    if (config.SLACK_APP_TOKEN) {
      const socket = createSocketModeSlackApp({ ...slackOptions, appToken: config.SLACK_APP_TOKEN });
      await socket.app.start();
      stops.push(async () => {
        await socket.app.stop();
      });
      say('slack  ⚡ connected to Slack over Socket Mode');
    }

    const slackWeb = new WebClient(config[ENV.slackBotToken], slackApiUrl ? { slackApiUrl } : {});
    const slackDirectory = new SlackDirectory(slackWeb, clock);

    // The request API (jit CLI), SigV4-verified with the local keys (request-api-gate.ts).
    const { delivery: _slackDelivery, ...grantPorts } = deps;
    const requestApi = localRequestApi({
      handler: createRequestApiHandler({
        api: {
          requests: requestDeps,
          // Callers mapped to Slack persons are resolved through Slack, as the Slack app does.
          people: apiPeople(requestDeps, slackDirectory),
          grants: grantPorts,
        },
        logger,
      }),
      keys: LOCAL_API_KEYS,
      // Signatures are dated by the signer's wall clock, whatever the demo does to the use cases' clock.
      clock: { now: () => new Date() },
      context: () => localContext('request-api'),
      prefix: '/api',
    });

    // The audit digests, as in AWS: written by the anchor run, read by the auditors' readers.
    const digests = new DynamoAuditDigests(tables.doc, tables.names.auditDigests);
    const auditorsReader = () =>
      new DynamoAuditQuery(tables.doc, tables.names.audit, undefined, undefined, undefined, digests);
    const auditHandler = createAuditApiHandler({
      reader: auditorsReader(),
      digests,
      clock,
      logger,
    });
    // Development sessions name policy persons: Slack ones as the (sandbox) Slack knows them,
    // `oidc:` ones with their id as their email, as a verified token would give it.
    const devDirectory: PersonDirectory = {
      providers: ['slack', 'oidc'],
      emailOf: (person) =>
        person.provider === 'slack' ? slackDirectory.emailOf(person) : Promise.resolve(person.id),
      groupsOf: (person, groups) =>
        person.provider === 'slack' ? slackDirectory.groupsOf(person, groups) : Promise.resolve([]),
    };
    const webConsole = await createLocalConsole({
      api: {
        // The accounts picker and account names, as the Slack app's (the sandbox organization's).
        request: {
          ...requestPorts(base, queue, appLogger),
          events: eventsOverSlackClient(base, appLogger, accounts)(slackWeb),
          accounts,
        },
        reader: auditorsReader(),
        digests,
        mailbox,
      },
      directory: devDirectory,
      devSignIn: isSandboxedOnLoopback(config),
      sessions: new DevSessions(clock),
      logger: appLogger,
    });
    const budgetMs = config.SWEEP_BUDGET_SECONDS * 1000;
    // What was done with ended role grants: the sweeper's own step, over the sandbox CloudTrail.
    const activity = createActivityWiring(
      base,
      deps.events,
      cloudTrail
        ? {
            settings: SANDBOX_ACTIVITY_SETTINGS,
            lookup: cloudTrail,
            budget: new TokenBucket(LOOKUP_EVENTS_PER_SECOND),
          }
        : { settings: readActivitySettings(process.env) },
    );
    const sweeper = createSweeperHandler({
      deps,
      requestDeps,
      concurrency: grant.settings.sweepConcurrency,
      logger: base.logger,
      activity: {
        deps: activity,
        options: { lookbackDays: ACTIVITY_LOOKBACK_DAYS, settleSeconds: activity.settings.settleSeconds },
        share: ACTIVITY_SHARE,
        budgetMs,
      },
    });
    const sweeps = new SweepGate(
      async () => {
        const run = await sweeper({}, localContext('sweeper', budgetMs));
        const { ended, failed } = run.sweep;
        if (run.activity && run.activity.summarised + run.activity.failed > 0) {
          say(`audit  ☰ activity summarised ${run.activity.summarised}, failed ${run.activity.failed}`);
        }
        const followUp = run.followUp ?? { renotified: 0, timedOut: 0 };
        if (ended + failed + followUp.renotified + followUp.timedOut > 0) {
          say(
            `sweep  ⟳ ended ${ended}, failed ${failed}, reminded ${followUp.renotified}, timed out ${followUp.timedOut}`,
          );
        }
        return run;
      },
      {
        budgetMs,
        onAbandon: (since, seconds) =>
          print(
            `sweep  ✗ the sweep started at ${since.toISOString()} is stuck (${seconds}s): starting a new one`,
          ),
      },
    );
    /** The timer's (and start-up's) sweep: never waits on one in flight. */
    const scheduledSweep = () => {
      const started = sweeps.start();
      if (started.started) {
        started.run.catch((error: unknown) => print(`sweep  ✗ ${(error as Error).message}`));
      }
    };
    // Audit anchors on the sweep timer, through the anchor function's own code path, each run
    // then digesting the audit days closed since the last one.
    const trail = new DynamoAuditQuery(tables.doc, tables.names.audit, undefined, () => {});
    const firstDigestDay = config[ENV.auditDigestFirstDay];
    const anchoring = createLocalAnchoring(
      config.LOCAL_DATA_DIR,
      {
        chains: trail,
        clock,
        table: tables.names.audit,
        logger: appLogger,
        metrics: { count: () => undefined },
      },
      {
        trail,
        digests,
        clock,
        logger: appLogger,
        metrics: { count: () => undefined },
        ...(firstDigestDay === undefined ? {} : { firstDay: firstDigestDay }),
      },
    );
    // The audit archive on the same timer, through the archive's use case and folder store.
    const archive = createLocalArchive(
      config.LOCAL_DATA_DIR,
      new DynamoAuditQuery(tables.doc, tables.names.audit),
      clock,
    );
    // The weekly access review on the same timer: once per period (markers in the audit table).
    const reviews = createLocalReviews(config.LOCAL_DATA_DIR, {
      reader: new DynamoAuditQuery(tables.doc, tables.names.audit),
      clock,
      poster: new SlackReviewPoster(slackWeb),
      markers: new DynamoReviewMarkers(tables.doc, tables.names.audit),
      channel: policy.breakGlass?.securityChannel,
      logger: appLogger,
    });
    const timer = setInterval(() => {
      scheduledSweep();
      void anchoring.anchorNow().then((run) => {
        if (run.status === 'anchored') say(`audit  ⚓ ${run.location}`);
        if (run.digest?.status === 'failed') print(`audit  ✗ digest: ${run.digest.error}`);
        if (run.digest && run.digest.days.length > 0) say(`audit  ▤ digested ${run.digest.days.join(', ')}`);
      });
      void archive
        .archiveNow()
        .catch((error: unknown) => print(`audit  ✗ archive: ${(error as Error).message}`));
      void reviews.deliverNow().then(
        (run) =>
          run.status === 'delivered' &&
          say(`audit  ✉ access review ${reviewPeriodName(run.period)} → ${run.location}`),
        (error: unknown) => print(`audit  ✗ access review: ${(error as Error).message}`),
      );
    }, config.SWEEP_INTERVAL_SECONDS * 1000);
    timer.unref();
    stops.push(() => clearInterval(timer));

    const health = async (): Promise<LocalHealth> => {
      const dynamo = await tables.health.check();
      const sweeper = sweeps.health();
      return {
        status: dynamo.status === 'ok' && !sweeper.stuck ? 'ok' : 'degraded',
        dynamodb: dynamo.status,
        ...(dynamo.status === 'down' ? { dynamodbReason: dynamo.reason } : {}),
        dynamodbEndpoint: tables.endpoint,
        sweeper,
        awsMode: config.AWS_MODE,
        slackApiUrl: slackApiUrl ?? 'https://slack.com/api/',
        targets: policy.targets.map((t) => t.id),
        deadLetters: queue.deadLetters.length,
      };
    };

    const route = async (req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '/', 'http://local');
      const method = req.method ?? 'GET';
      // In Socket Mode Slack's requests come over the websocket: no HTTP endpoint to forge.
      if (url.pathname === '/slack/events' && method === 'POST' && !config.SLACK_APP_TOKEN) {
        const body = await readBody(req);
        if (body === undefined) return send(res, 413, JSON.stringify({ error: 'body too large' }));
        const event = {
          version: '2.0',
          routeKey: '$default',
          rawPath: url.pathname,
          rawQueryString: url.search.slice(1),
          headers: headersOf(req),
          body,
          isBase64Encoded: false,
          requestContext: { http: { method, path: url.pathname }, requestId: randomUUID() },
        } as SlackLambdaEvent;
        const response = await slackHandler(event, localContext('slack'));
        res.writeHead(response.statusCode, response.headers ?? {});
        return res.end(response.body);
      }
      // Why: locally there is no SigV4; the audit trail and the sandbox are served to this machine only.
      if (!isLocalRequest(req)) return send(res, 403, JSON.stringify({ error: 'loopback only' }));
      if (method === 'GET' && url.pathname === '/health') {
        const report = await health();
        // Why 503 when DynamoDB is down: a process manager or load balancer must not see "ok".
        return send(res, report.dynamodb === 'ok' ? 200 : 503, JSON.stringify(report));
      }

      if (url.pathname.startsWith('/api/')) {
        const body = await readBody(req);
        if (body === undefined) return send(res, 413, JSON.stringify({ error: 'body too large' }));
        const response = await requestApi({
          method,
          url: new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`),
          headers: headersOf(req),
          body,
        });
        res.writeHead(response.statusCode, response.headers);
        return res.end(response.body);
      }
      if (url.pathname.startsWith('/audit/')) {
        const query = Object.fromEntries(url.searchParams);
        const event = {
          version: '2.0',
          routeKey: '$default',
          rawPath: url.pathname.slice('/audit'.length),
          rawQueryString: url.search.slice(1),
          headers: headersOf(req),
          queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
          isBase64Encoded: false,
          requestContext: {
            http: { method, path: url.pathname },
            requestId: randomUUID(),
            authorizer: { iam: { userArn: LOCAL_AUDITOR_ARN } },
          },
        } as unknown as AuditApiEvent;
        const response = await auditHandler(event, localContext('audit-api'));
        res.writeHead(response.statusCode ?? 200, (response.headers ?? {}) as Record<string, string>);
        return res.end(response.body ?? '');
      }
      if (url.pathname === '/console' || url.pathname.startsWith(CONSOLE_PATH)) {
        return webConsole.handle(req, res, url);
      }
      if (method === 'GET' && url.pathname === '/sandbox') {
        const state = {
          aws: sandbox?.state() ?? null,
          cloudTrail: cloudTrail?.history() ?? null,
          slack: slack?.calls.map((c) => ({ method: c.method, args: c.args })) ?? null,
          deadLetters: queue.deadLetters,
          metrics: Object.fromEntries(counts),
        };
        return send(res, 200, redactSecrets(JSON.stringify(state)));
      }
      if (method === 'POST' && url.pathname === '/sweep') {
        const started = sweeps.start();
        if (!started.started) {
          // Never wait on an earlier run: it may be stuck on an AWS call that never answers.
          return send(
            res,
            409,
            JSON.stringify({
              error: 'a sweep is already running',
              since: started.since.toISOString(),
              runningForSeconds: started.runningForSeconds,
            }),
          );
        }
        const finished = await Promise.race([
          started.run.then((run) => ({ run })),
          new Promise<undefined>((r) => setTimeout(() => r(undefined), budgetMs).unref()),
        ]);
        if (!finished) {
          return send(res, 202, JSON.stringify({ status: 'running', since: started.since.toISOString() }));
        }
        return send(res, 200, JSON.stringify(finished.run));
      }
      return send(res, 404, JSON.stringify({ error: 'not found' }));
    };

    const server: Server = createServer((req, res) => {
      route(req, res).catch((error: unknown) => {
        logger.error('local request failed', { error: (error as Error).message });
        if (!res.headersSent) send(res, 500, JSON.stringify({ error: 'internal error' }));
      });
    });
    await new Promise<void>((ready, fail) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        fail(
          error.code === 'EADDRINUSE'
            ? new PortInUseError(config.PORT, config.HOST, { cause: error })
            : error,
        );
      });
      server.listen(config.PORT, config.HOST, ready);
    });
    stops.push(
      () =>
        new Promise<void>((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
    );
    const port = (server.address() as AddressInfo).port;
    // The first sweep runs now, not one interval later (grants may have expired while stopped).
    scheduledSweep();
    return {
      url: `http://${config.HOST}:${port}`,
      consoleUrl: `http://${config.HOST}:${port}${CONSOLE_PATH}`,
      config,
      policy,
      dynamoEndpoint: tables.endpoint,
      ...(slackApiUrl ? { slackApiUrl } : {}),
      ...(slack ? { slack } : {}),
      ...(sandbox ? { sandbox } : {}),
      ...(cloudTrail ? { cloudTrail } : {}),
      queue,
      ...(tables.pid === undefined ? {} : { dynamoPid: tables.pid }),
      sweepNow: () => sweeps.join(),
      health,
      evidence: {
        auditTable: tables.names.audit,
        reader: auditorsReader(),
        digests,
        anchors: anchoring,
        archive,
        reviews,
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
