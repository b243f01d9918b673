import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';
import { writeEvents } from '../../shared/adapters/audit-format/audit-format.js';
import { createAuditReader } from '../../shared/adapters/dynamodb/audit-reader.js';
import { httpAnswerFor } from '../../shared/adapters/http/error-status.js';
import { ENV, readEnv } from '../../shared/config/env.js';
import { BrokerError, ValidationError } from '../../shared/domain/errors.js';
import { Logger } from '@aws-lambda-powertools/logger';
import { createSlackGrantQueue } from '../../shared/adapters/slack/runtime.js';
import { createGrantWiring } from '../wiring/grant-wiring.js';
import { createBaseWiring, listenerLogger } from '../wiring/base-wiring.js';
import { callerFromClaims } from './caller.js';
import { routeConsoleApi, type ConsoleApiDeps } from './routes.js';

/** How the console API finds the caller's email and groups in the verified token (stack props). */
const claimEnv = {
  CONSOLE_EMAIL_CLAIM: z.string().min(1).default('email'),
  CONSOLE_GROUPS_CLAIM: z.string().min(1).default('groups'),
  CONSOLE_ORIGIN: z.string().min(1),
};

/** The most bytes an export answers in one Lambda response (API Gateway HTTP APIs do not stream). */
const MAX_LAMBDA_EXPORT_BYTES = 5 * 1024 * 1024;

/** What the console API's Lambda needs: the API's ports and how to read the token's claims. */
export interface ConsoleLambdaDeps {
  readonly api: ConsoleApiDeps;
  readonly emailClaim: string;
  readonly groupsClaim: string;
  /** The console's origin (CloudFront), the only one allowed to call (CORS). */
  readonly origin: string;
  readonly logger: {
    warn(m: string, f?: Record<string, unknown>): void;
    error(m: string, f?: Record<string, unknown>): void;
  };
}

/**
 * The console API behind API Gateway (HTTP API) with a JWT authorizer: the authorizer has
 * verified the organization's OIDC token (issuer, audience, expiry) before this runs; this
 * maps its claims to a person (caller.ts) and routes (routes.ts). No cookies: the token comes
 * in the Authorization header, and is never logged (only the path is).
 */
export function createConsoleApiHandler(deps: ConsoleLambdaDeps | (() => ConsoleLambdaDeps)) {
  let resolved: ConsoleLambdaDeps | undefined;
  const get = () => (resolved ??= typeof deps === 'function' ? deps() : deps);
  return async (
    event: APIGatewayProxyEventV2WithJWTAuthorizer,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    const d = get();
    const headers = {
      'Cache-Control': 'no-store',
      'Access-Control-Allow-Origin': d.origin,
      'X-Content-Type-Options': 'nosniff',
    };
    try {
      const claims = event.requestContext.authorizer?.jwt?.claims ?? {};
      const caller = callerFromClaims(claims, {
        emailClaim: d.emailClaim,
        groupsClaim: d.groupsClaim,
        policy: d.api.request.policy.current(),
      });
      let body: unknown;
      if (event.body) {
        try {
          body = JSON.parse(
            event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body,
          );
        } catch {
          throw new ValidationError('The body is not JSON.');
        }
      }
      const answer = await routeConsoleApi(d.api, {
        method: event.requestContext.http.method,
        path: event.rawPath.replace(/^\/console\/api/, ''),
        query: Object.fromEntries(
          Object.entries(event.queryStringParameters ?? {}).filter(
            (e): e is [string, string] => e[1] !== undefined,
          ),
        ),
        body,
        caller,
      });
      if (answer.kind === 'json') {
        return {
          statusCode: answer.status,
          headers: { ...headers, 'Content-Type': 'application/json' },
          body: JSON.stringify(answer.body),
        };
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const { Writable } = await import('node:stream');
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          size += chunk.length;
          if (size > MAX_LAMBDA_EXPORT_BYTES) {
            return done(
              new ValidationError('The export is too large for one answer: narrow the time range.'),
            );
          }
          chunks.push(chunk);
          done();
        },
      });
      await writeEvents(answer.events, answer.format, sink);
      return {
        statusCode: 200,
        headers: {
          ...headers,
          'Content-Type': answer.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
          'Content-Disposition': `attachment; filename="${answer.filename}"`,
        },
        body: Buffer.concat(chunks).toString('utf8'),
      };
    } catch (error) {
      const http = httpAnswerFor(error);
      if (!http.clientError)
        d.logger.error('console api request failed', { path: event.rawPath, error: error as Error });
      else if (error instanceof BrokerError) {
        d.logger.warn('console api request refused', {
          path: event.rawPath,
          code: error.code,
          reason: error.message,
        });
      }
      return {
        statusCode: http.statusCode,
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: JSON.stringify(
          error instanceof BrokerError && http.expose
            ? { error: error.code, message: error.message }
            : { error: 'INTERNAL', message: 'Internal error.' },
        ),
      };
    }
  };
}

/** Wiring for AWS: the tables and policy from the environment, grants handed to the SQS queue. */
function depsFromEnv(): ConsoleLambdaDeps {
  const config = readEnv({ ...claimEnv, [ENV.auditDigestsTable]: z.string().min(1).optional() });
  const logger = new Logger({ serviceName: 'jit-console-api' });
  const base = createBaseWiring({ logger });
  // The same request ports as the other front doors: SQS hand-off, Slack notifications.
  const grant = createGrantWiring({ base, handOff: createSlackGrantQueue() });
  // With the digests table, auditors' by-target answers read a target's closed days from it.
  const reader = createAuditReader({
    tableName: base.tables.audit,
    digestsTableName: config[ENV.auditDigestsTable],
  });
  return {
    api: {
      request: grant.requestDeps,
      reader,
      ...(reader.digests ? { digests: reader.digests } : {}),
      // The worker runs elsewhere: it leaves console credentials in the DynamoDB mailbox.
      ...(grant.credentialsMailbox ? { mailbox: grant.credentialsMailbox } : {}),
    },
    emailClaim: config.CONSOLE_EMAIL_CLAIM,
    groupsClaim: config.CONSOLE_GROUPS_CLAIM,
    origin: config.CONSOLE_ORIGIN,
    logger: listenerLogger(logger),
  };
}

export const handler = createConsoleApiHandler(depsFromEnv);
