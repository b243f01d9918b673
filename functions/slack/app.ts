import {
  App,
  AwsLambdaReceiver,
  SocketModeReceiver,
  LogLevel,
  webApi,
  type Logger as BoltLogger,
} from '@slack/bolt';
import type { EventPublisher } from '../../shared/domain/ports.js';
import type { RequestDeps } from '../../shared/usecases/deps.js';
import { SlackDirectory } from '../../shared/adapters/slack/directory.js';
import { answerEveryRequest } from './fallback-answer.js';
import { registerApprovalListeners } from './listeners/approval.js';
import { registerBreakGlassListeners } from './listeners/break-glass.js';
import { registerHomeListeners } from './listeners/home.js';
import { registerLifecycleListeners } from './listeners/lifecycle.js';
import { registerRequestListeners } from './listeners/request.js';
import { registerRevokeListeners } from './listeners/revoke.js';
import { createListenerContext, type SlackAppLogger } from './listeners/listener-kit.js';
import { slackApiFailure } from '../../shared/adapters/slack/slack-api-error.js';

export type { SlackAppLogger } from './listeners/listener-kit.js';

export interface SlackAppOptions {
  readonly signingSecret: string;
  readonly botToken: string;
  /** The Slack Web API base URL (a stand-in in tests and local runs). */
  readonly slackApiUrl?: string;
  /** The use cases' ports, but for the event publisher. */
  readonly deps: Omit<RequestDeps, 'events'>;
  /**
   * Where the use cases publish, over the app's Web API client (the subscribers are
   * registered in the wiring: functions/wiring/event-wiring.ts).
   */
  readonly events: (client: webApi.WebClient) => EventPublisher;
  readonly logger: SlackAppLogger;
}

export interface SlackApp<R = AwsLambdaReceiver> {
  readonly app: App;
  readonly receiver: R;
  /** The Web API client every adapter shares (bot token, configured base URL). */
  readonly client: webApi.WebClient;
  readonly deps: RequestDeps;
}

/** Bolt's logger over ours: warnings and errors only, so payloads (debug) never reach the logs. */
function boltLogger(logger: SlackAppLogger): BoltLogger {
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: (...msg: unknown[]) => logger.warn('bolt', { detail: msg.map(String).join(' ').slice(0, 500) }),
    error: (...msg: unknown[]) =>
      logger.error('bolt', {
        detail: msg
          .map((m) => (m instanceof Error ? m.name : String(m)))
          .join(' ')
          .slice(0, 500),
      }),
    setLevel: () => undefined,
    getLevel: () => LogLevel.WARN,
    setName: () => undefined,
  };
}

/**
 * Builds the Bolt app on its AWS Lambda receiver (request signatures always verified) and
 * registers thin listeners: each reads the payload, calls one use case, and acks with the
 * result. IAM and STS are never called here; the use cases hand that work to the grant queue.
 */
export function createSlackApp(options: SlackAppOptions): SlackApp {
  const receiver = new AwsLambdaReceiver({
    signingSecret: options.signingSecret,
    logger: boltLogger(options.logger),
  });
  return assembleSlackApp(options, receiver);
}

/**
 * The same app over Socket Mode (a Slack app-level token), for the local runner in a real
 * workspace without a public URL: Slack's websocket carries the requests, so there is no
 * HTTP signature to check; the app-level token is the credential.
 */
export function createSocketModeSlackApp(
  options: SlackAppOptions & { readonly appToken: string },
): SlackApp<SocketModeReceiver> {
  const receiver = new SocketModeReceiver({
    appToken: options.appToken,
    logger: boltLogger(options.logger),
    // Bolt hands `installerOptions.clientOptions` (not a top-level `clientOptions`) to the Socket
    // Mode client, which calls apps.connections.open with it.
    ...(options.slackApiUrl
      ? { installerOptions: { clientOptions: { slackApiUrl: options.slackApiUrl } } }
      : {}),
  });
  return assembleSlackApp(options, receiver);
}

function assembleSlackApp<R extends AwsLambdaReceiver | SocketModeReceiver>(
  options: SlackAppOptions,
  receiver: R,
): SlackApp<R> {
  const { logger } = options;
  const client = new webApi.WebClient(options.botToken, {
    ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}),
    // A Lambda has 3 seconds to answer Slack: one quick retry at most, never minutes of backoff.
    retryConfig: { retries: 1, factor: 1, minTimeout: 100, maxTimeout: 300 },
    timeout: 2500,
    logLevel: webApi.LogLevel.ERROR,
  });
  const clock = options.deps.clock;
  const directory = new SlackDirectory(client, clock);
  const people = {
    policy: options.deps.policy,
    directory,
    ...(options.deps.onCall ? { onCall: options.deps.onCall, logger } : {}),
  };
  const deps: RequestDeps = {
    ...options.deps,
    events: options.events(client),
  };
  const app = new App({
    // The bot token as Bolt's authorize answer, rather than as `token`: Bolt then never calls
    // auth.test. With `token`, every new App calls it once and holds the first request until
    // Slack answers (a round trip on every cold start). That call only learns the bot's own ids,
    // which Bolt uses to skip the app's own message events, and this app subscribes to
    // app_home_opened alone (manifest.ts), which only people send.
    authorize: async () => ({ botToken: options.botToken }),
    receiver,
    logger: boltLogger(logger),
    clientOptions: client.slackApiUrl ? { slackApiUrl: client.slackApiUrl, retryConfig: { retries: 1 } } : {},
  });
  answerEveryRequest(app, logger);
  app.error(async (error) => {
    const slackFailure = slackApiFailure(error);
    logger.error('bolt error', {
      code: (error as { code?: string }).code,
      error: error.name,
      ...(slackFailure ? { slackError: slackFailure.error, needed: slackFailure.needed } : {}),
    });
  });

  // Slack re-sends an event it thinks we missed; events here are idempotent views, so skip retries.
  app.use(async ({ context, body, next }) => {
    if (context.retryNum && (body as { type?: string }).type === 'event_callback') {
      logger.info('slack retry ignored', { retryNum: context.retryNum });
      return;
    }
    await next();
  });

  const ctx = createListenerContext({ app, client, deps, people, logger });
  registerRequestListeners(ctx);
  registerApprovalListeners(ctx);
  registerBreakGlassListeners(ctx);
  registerHomeListeners(ctx);
  registerRevokeListeners(ctx);
  registerLifecycleListeners(ctx);

  return { app, receiver, client, deps };
}
