import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { personOfApiCaller } from '../../shared/domain/api-caller.js';
import { CLIENT_HEADER, requestApiChannel } from '../../shared/usecases/channel.js';
import { createGrantWiring, type GrantWiring } from '../wiring/grant-wiring.js';
import { apiPeople } from './caller-directory.js';
import { routeRequest, type ApiResponse, type RequestApiDeps } from './routes.js';

/** A function URL event; with AWS_IAM auth its request context names the SigV4-signed caller. */
export type RequestApiEvent = APIGatewayProxyEventV2WithIAMAuthorizer;

export interface RequestApiHandlerDeps {
  readonly api: RequestApiDeps;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
}

const MAX_BODY_CHARS = 64 * 1024;

function answer(response: ApiResponse): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: response.status,
    // no-store: a credentials answer must not sit in any cache.
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
    body: JSON.stringify(response.body),
  };
}

function refuse(status: number, error: string, message: string): APIGatewayProxyStructuredResultV2 {
  return answer({ status, body: { error, message } });
}

function parseJson(event: RequestApiEvent): { ok: true; body: unknown } | { ok: false } {
  if (!event.body) return { ok: true, body: undefined };
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (text.length > MAX_BODY_CHARS) return { ok: false };
  try {
    return { ok: true, body: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/**
 * The request API Lambda, behind a function URL with AWS_IAM auth (see routes.ts for the
 * routes). The caller is the IAM principal that signed the request, mapped to a person by the
 * policy (personOfApiCaller); the routes call the same use cases as Slack, and every audit
 * event they write names the `cli` channel when the `jit` CLI declared itself (x-jit-client),
 * else `api`. Bodies are never logged (they may hold credentials).
 */
export function createRequestApiHandler(deps: RequestApiHandlerDeps | (() => RequestApiHandlerDeps)) {
  let resolved: RequestApiHandlerDeps | undefined;
  const get = () => (resolved ??= typeof deps === 'function' ? deps() : deps);

  return async (event: RequestApiEvent): Promise<APIGatewayProxyStructuredResultV2> => {
    const { api, logger } = get();
    const method = event.requestContext.http.method;
    const path = event.rawPath;
    // Why: the function URL must use AWS_IAM auth; without a signed caller nobody may act as anyone.
    const principal = event.requestContext.authorizer?.iam?.userArn;
    if (!principal) {
      logger.warn('request api call without an IAM caller', { method, path });
      return refuse(403, 'NOT_AUTHORIZED', 'Requests must be signed with AWS credentials (SigV4).');
    }
    const caller = personOfApiCaller(api.requests.policy.current(), principal);
    if (!caller.ok) {
      logger.warn('request api caller not mapped to a person', { principal, method, path });
      return refuse(403, 'NOT_AUTHORIZED', caller.message);
    }
    const body = parseJson(event);
    if (!body.ok) return refuse(400, 'VALIDATION_FAILED', 'The body must be JSON (at most 64 KiB).');
    try {
      const channel = requestApiChannel(event.headers[CLIENT_HEADER]);
      const response = await routeRequest(api, caller.person, channel, method, path, body.body);
      const fields = { principal, method, path, status: response.status };
      if (response.status >= 400) logger.warn('request api call refused', fields);
      else logger.info('request api call', fields);
      return answer(response);
    } catch (error) {
      logger.error('request api call failed', { principal, method, path, error: error as Error });
      return refuse(500, 'INTERNAL', 'Internal error.');
    }
  };
}

/**
 * The API's ports over a grant wiring: its request and grant sides, and callers resolved like
 * Slack resolves them (the wiring's Slack directory and on-call roster, see apiPeople).
 */
export function requestApiDepsOf(wiring: GrantWiring): RequestApiHandlerDeps {
  const { delivery: _unused, ...grants } = wiring.deps;
  return {
    api: {
      requests: wiring.requestDeps,
      people: apiPeople(wiring.requestDeps, wiring.slackDirectory),
      grants,
    },
    logger: wiring.base.logger,
  };
}

/** Wiring for AWS: the grant side's ports (store, queue, Slack notifications, STS) built once. */
function depsFromEnv(): RequestApiHandlerDeps {
  return requestApiDepsOf(createGrantWiring());
}

export const handler = createRequestApiHandler(depsFromEnv);
