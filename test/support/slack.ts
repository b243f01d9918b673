import { webApi } from '@slack/bolt';
import { slackSignature } from '../../shared/adapters/slack/signature.js';

/**
 * Slack for tests: a signer that builds Lambda function-URL events exactly as Slack signs
 * its requests (HMAC-SHA256 over `v0:{timestamp}:{body}`), and a stand-in Slack Web API that
 * records every call and answers like Slack does.
 */

export const TEST_SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
export const TEST_BOT_TOKEN = 'xoxb-test';

export interface SignedEventOptions {
  /** Seconds since the epoch; defaults to now. */
  readonly timestamp?: number;
  readonly secret?: string;
  readonly contentType?: string;
  readonly retryNum?: number;
  /** Replaces the computed signature (forgeries). */
  readonly signature?: string;
}

/** A Lambda function-URL (payload v2) event carrying `body`, signed like Slack signs it. */
export function signedEvent(body: string, options: SignedEventOptions = {}) {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const secret = options.secret ?? TEST_SIGNING_SECRET;
  const signature = options.signature ?? slackSignature(secret, timestamp, body);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/slack/events',
    rawQueryString: '',
    isBase64Encoded: false,
    body,
    headers: {
      'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
      'x-slack-signature': signature,
      'x-slack-request-timestamp': String(timestamp),
      ...(options.retryNum === undefined
        ? {}
        : { 'x-slack-retry-num': String(options.retryNum), 'x-slack-retry-reason': 'http_timeout' }),
    },
    requestContext: { http: { method: 'POST', path: '/slack/events' }, requestId: 'test' },
  };
}

export {
  blockAction,
  commandBody,
  interactionBody,
  selectState,
  textState,
  viewSubmission,
  type StateValues,
} from '../../shared/adapters/sandbox/slack-payloads.js';
export {
  SlackWebApiSandbox as SlackStandIn,
  type SlackCall,
} from '../../shared/adapters/sandbox/slack-web-api.js';

/** A Web API client on the Slack stand-in at `url`, with no retries (a failure shows at once). */
export function standInWebClient(standIn: { readonly url: string }): webApi.WebClient {
  return new webApi.WebClient(TEST_BOT_TOKEN, { slackApiUrl: standIn.url, retryConfig: { retries: 0 } });
}
