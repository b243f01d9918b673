import { BrokerError } from '../../domain/errors.js';

/** What Slack said when it refused a Web API call (`{ ok: false, error, needed }`). */
export interface SlackApiFailure {
  /** Slack's error code: `missing_scope`, `channel_not_found`, `not_in_channel`... */
  readonly error: string;
  /** The OAuth scope the app lacks, on `missing_scope`. */
  readonly needed?: string;
}

/** The code the Web API client gives an error Slack answered (WebAPIPlatformError). */
const PLATFORM_ERROR = 'slack_webapi_platform_error';

/**
 * Slack's own error code and missing scope, when `error` is a Web API platform error (or a
 * SlackApiError carrying one); undefined for anything else. Never reads the request or token.
 */
export function slackApiFailure(error: unknown): SlackApiFailure | undefined {
  if (error instanceof SlackApiError) return error.failure;
  const coded = error as { code?: unknown; data?: { error?: unknown; needed?: unknown } } | null;
  if (coded?.code !== PLATFORM_ERROR || typeof coded.data?.error !== 'string') return undefined;
  const needed = typeof coded.data.needed === 'string' ? coded.data.needed : undefined;
  return { error: coded.data.error, ...(needed ? { needed } : {}) };
}

/** In plain words, what an operator must fix for Slack to accept the call again. */
export function operatorFix(failure: SlackApiFailure, channel?: string): string {
  const where = channel ? ` (<#${channel}>)` : '';
  switch (failure.error) {
    case 'missing_scope':
      return `The broker's Slack app lacks the ${failure.needed ?? 'needed'} scope; ask an operator to add it and reinstall the app.`;
    case 'channel_not_found':
      return `The broker's Slack app cannot find the channel${where}; ask an operator to fix the channel in the access policy.`;
    case 'not_in_channel':
    case 'is_archived':
      return `The broker's Slack app cannot post in the channel${where} (${failure.error}); ask an operator to invite it or fix the access policy.`;
    case 'invalid_auth':
    case 'not_authed':
    case 'token_revoked':
    case 'account_inactive':
      return `The broker's Slack token is not accepted (${failure.error}); ask an operator to update the bot token.`;
    default:
      return `Slack refused the broker's request (${failure.error}); ask an operator to check the Slack app.`;
  }
}

/**
 * A Slack Web API call that Slack refused. The message names the method, Slack's code and
 * the missing scope (never the token or the arguments); the cause is the client's error.
 */
export class SlackApiError extends BrokerError {
  static {
    this.prototype.name = 'SlackApiError';
  }

  readonly failure: SlackApiFailure;
  constructor(method: string, failure: SlackApiFailure, options: { cause?: unknown } = {}) {
    super(
      'SLACK_API_FAILED',
      `Slack ${method} failed: ${failure.error}${failure.needed ? ` (needs ${failure.needed})` : ''}`,
      options,
    );
    this.failure = failure;
  }
}

/** Runs a Web API call; a platform error becomes a SlackApiError naming `method`. */
export async function callSlack<T>(method: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const failure = slackApiFailure(error);
    throw failure ? new SlackApiError(method, failure, { cause: error }) : error;
  }
}
