import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { verifySignature, type KnownKey } from '../../shared/adapters/aws/sigv4.js';
import type { Clock } from '../../shared/domain/ports.js';
import type { RequestApiEvent } from '../request-api/handler.js';

/**
 * The access keys the local request API accepts, and whose they are. Locally there is no
 * AWS to check a signature, so the runner does what a function URL with AWS_IAM auth does:
 * recompute it with the key's secret. These are local-only keys (they open nothing in AWS).
 */
export const LOCAL_API_KEYS: Readonly<Record<string, KnownKey>> = {
  JITLOCALDEVELOPER001: {
    secretAccessKey: 'jit-local-developer-secret-not-for-aws',
    principalArn: 'arn:aws:iam::000000000000:user/local-developer',
  },
  JITLOCALLEAD00000001: {
    secretAccessKey: 'jit-local-lead-secret-not-for-aws',
    principalArn: 'arn:aws:iam::000000000000:user/local-lead',
  },
};

/** A request as the local HTTP server read it (lower-cased header names). */
export interface LocalHttpRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface LocalHttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * Serves the request API locally under `prefix`: verifies SigV4 like a function URL with
 * AWS_IAM auth (a forged, stale or unsigned request is 403 before the handler runs, so
 * nothing is written), then runs the real handler with the signer's principal in the
 * request context.
 */
export function localRequestApi(options: {
  readonly handler: (
    event: RequestApiEvent,
    context: Context,
  ) => Promise<{ statusCode?: number; headers?: Record<string, unknown>; body?: string }>;
  readonly keys: Readonly<Record<string, KnownKey>>;
  readonly clock: Clock;
  readonly context: () => Context;
  /** The path prefix the API is served under (`/api`). */
  readonly prefix: string;
}): (request: LocalHttpRequest) => Promise<LocalHttpResponse> {
  return async (request) => {
    // The signature covers the path as the client sent it (with the prefix).
    const check = await verifySignature(request, (id) => options.keys[id], options.clock.now());
    if (!check.ok) {
      // Why the same answer for every failure: a prober learns nothing about which keys exist.
      return {
        statusCode: 403,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          error: 'NOT_AUTHORIZED',
          message: 'The request signature is not valid (SigV4).',
        }),
      };
    }
    const rawPath = request.url.pathname.slice(options.prefix.length) || '/';
    const event = {
      version: '2.0',
      routeKey: '$default',
      rawPath,
      rawQueryString: request.url.search.slice(1),
      headers: request.headers,
      body: request.body,
      isBase64Encoded: false,
      requestContext: {
        accountId: 'anonymous',
        apiId: 'local',
        domainName: request.url.host,
        domainPrefix: 'local',
        http: {
          method: request.method,
          path: rawPath,
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: request.headers['user-agent'] ?? '',
        },
        requestId: randomUUID(),
        routeKey: '$default',
        stage: '$default',
        time: '',
        timeEpoch: options.clock.now().getTime(),
        authorizer: {
          iam: {
            accessKey: check.accessKeyId,
            accountId: check.principalArn.split(':')[4] ?? '',
            callerId: check.accessKeyId,
            cognitoIdentity: null,
            principalOrgId: null,
            userArn: check.principalArn,
            userId: check.accessKeyId,
          },
        },
      },
    } as unknown as RequestApiEvent;
    const response = await options.handler(event, options.context());
    return {
      statusCode: response.statusCode ?? 200,
      headers: (response.headers ?? {}) as Record<string, string>,
      body: response.body ?? '',
    };
  };
}
