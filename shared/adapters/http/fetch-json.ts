import { ExternalSystemError } from '../../domain/errors.js';

/** How long one call to a ticket or on-call system may take before it throws. */
export const DEFAULT_EXTERNAL_DEADLINE_MS = 5000;

/** What calling a JSON REST API needs: where, how to authenticate, how long to wait. */
export interface JsonApiOptions {
  /** The system's name for errors and logs (`Jira`, `PagerDuty`...). */
  readonly system: string;
  /** Base URL; the path is resolved against it (a trailing slash is added when missing). */
  readonly baseUrl: string;
  /** The Authorization header value, read when needed (a secret that may rotate). */
  readonly authorization: () => Promise<string>;
  /** Deadline of one call, in milliseconds (default DEFAULT_EXTERNAL_DEADLINE_MS). */
  readonly deadlineMs?: number;
  /** Extra headers (Accept variants some APIs want). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The answer of a GET: `undefined` for a 404 (the caller decides what "not there" means). */
export type JsonAnswer = { readonly status: 200; readonly body: unknown } | { readonly status: 404 };

function urlOf(baseUrl: string, path: string): URL {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return new URL(path.replace(/^\//, ''), base);
}

/**
 * GETs `path` with a deadline that throws. Every answer that is not a 200 with JSON, or a 404,
 * throws ExternalSystemError naming the system and status (never the token): a 401 or 403
 * (refused credentials), a 5xx, a timeout or a broken connection are failures, never answers.
 */
export async function getJson(options: JsonApiOptions, path: string): Promise<JsonAnswer> {
  const url = urlOf(options.baseUrl, path);
  const deadlineMs = options.deadlineMs ?? DEFAULT_EXTERNAL_DEADLINE_MS;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: {
        Accept: 'application/json',
        ...options.headers,
        Authorization: await options.authorization(),
      },
      // Why: a system that never answers must not hold a Slack request or a sweep.
      signal: AbortSignal.timeout(deadlineMs),
    });
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    throw new ExternalSystemError(
      options.system,
      timedOut ? `no answer within ${deadlineMs} ms` : `not reachable (${(error as Error).message})`,
      { cause: error },
    );
  }
  if (response.status === 404) {
    await response.body?.cancel();
    return { status: 404 };
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    const why =
      response.status === 401 || response.status === 403 ? 'credentials refused' : 'unexpected answer';
    throw new ExternalSystemError(options.system, `${why} (HTTP ${response.status})`, {
      status: response.status,
    });
  }
  try {
    const body: unknown = await response.json();
    return { status: 200, body };
  } catch (error) {
    // A body cut off by the deadline lands here too.
    throw new ExternalSystemError(options.system, 'the answer is not readable JSON', { cause: error });
  }
}
