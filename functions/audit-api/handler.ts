import { Logger } from '@aws-lambda-powertools/logger';
import middy, { type MiddlewareObj } from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import type {
  APIGatewayProxyEventV2WithIAMAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { stringify } from 'csv-stringify/sync';
import * as z from 'zod';
import { createAuditReader } from '../../shared/adapters/dynamodb/audit-reader.js';
import { httpAnswerFor } from '../../shared/adapters/http/error-status.js';
import { ENV, readEnv } from '../../shared/config/env.js';
import type { AuditDigestStore } from '../../shared/domain/audit-digest.js';
import type { AuditChainReader, AuditReader } from '../../shared/domain/audit-query.js';
import {
  BrokerError,
  NotAuthorizedError,
  NotFoundError,
  ValidationError,
} from '../../shared/domain/errors.js';
import type { Clock } from '../../shared/domain/ports.js';
import { queryAudit } from '../../shared/usecases/query-audit.js';
import { verifyAudit } from '../../shared/usecases/verify-audit.js';
import { CSV_COLUMNS, csvRecord } from '../../shared/adapters/audit-format/audit-format.js';

/**
 * The auditors' HTTP API, behind a Lambda function URL with AWS_IAM auth:
 *   GET /events?person=&target=&requestId=&status=&breakGlass=&from=&to=&limit=&cursor=&format=json|csv
 *   GET /verify
 * JSON pages are `{ items, cursor? }`; CSV pages carry the next cursor in `X-Next-Cursor`.
 * Bad filters are 400 with the reason; internal errors are a bare 500 (no message, no stack).
 * A caller's mistake (4xx) is logged as a warning without a stack; only 5xx are errors.
 */
export interface AuditApiDeps {
  readonly reader: AuditReader & AuditChainReader;
  /** The audit digests, which `/verify` checks against the trail (when the digests table is set). */
  readonly digests?: Pick<AuditDigestStore, 'span' | 'readAll'>;
  readonly clock: Clock;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
}

/** A function URL event; with AWS_IAM auth its request context names the signed IAM caller. */
export type AuditApiEvent = APIGatewayProxyEventV2WithIAMAuthorizer;

/**
 * Every failure becomes its HTTP answer (status by error code, message only when exposed)
 * and one log line: a client error is a warning with its code and message, no stack; a
 * server error is an error with the error itself.
 */
function brokerErrorsToHttp(
  logger: () => Pick<Logger, 'warn' | 'error'>,
): MiddlewareObj<APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2> {
  return {
    onError: (request) => {
      const error = request.error;
      const answer = httpAnswerFor(error);
      if (!answer.clientError) {
        logger().error('audit api request failed', { error: error as Error });
      } else if (error instanceof BrokerError) {
        logger().warn('audit api request refused', {
          statusCode: answer.statusCode,
          code: error.code,
          message: error.message,
        });
      }
      if (!(error instanceof BrokerError) || !answer.expose) return;
      request.error = Object.assign(
        new Error(JSON.stringify({ error: error.code, message: error.message })),
        {
          statusCode: answer.statusCode,
          expose: true,
          headers: { 'Cache-Control': 'no-store' },
        },
      );
    },
  };
}

function json(body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

const formatSchema = z.enum(['json', 'csv'], { error: 'format must be json or csv' });

/** The request handler, with its dependencies given (tests pass DynamoDB Local and a clock). */
export function createAuditApiHandler(deps: AuditApiDeps | (() => AuditApiDeps)) {
  let resolved: AuditApiDeps | undefined;
  const get = () => (resolved ??= typeof deps === 'function' ? deps() : deps);

  const route = async (event: AuditApiEvent): Promise<APIGatewayProxyStructuredResultV2> => {
    const { reader, digests, clock, logger } = get();
    // Why: the function URL must use AWS_IAM auth; a request without a signed IAM caller
    // means it was deployed open, and the audit trail must not be served to anyone.
    const caller = event.requestContext.authorizer?.iam?.userArn;
    if (!caller)
      throw new NotAuthorizedError('no-iam-caller', 'Requests must be signed with AWS credentials (SigV4).');
    const method = event.requestContext.http.method;
    const path = event.rawPath.replace(/\/+$/, '') || '/';
    if (path !== '/events' && path !== '/verify') throw new NotFoundError(`Path ${path}`);
    if (method !== 'GET') {
      throw new BrokerError('METHOD_NOT_ALLOWED', `${method} is not allowed; use GET.`, { expose: true });
    }
    logger.info('audit api request', { caller, path, query: event.queryStringParameters ?? {} });
    if (path === '/verify') {
      const result = await verifyAudit({
        chains: reader,
        clock,
        ...(digests ? { digests: { store: digests, trail: reader } } : {}),
      });
      if (!result.ok) logger.error('audit trail verification failed', { breaks: result.breaks });
      return json(result);
    }
    const { format: rawFormat, ...filters } = event.queryStringParameters ?? {};
    const format = formatSchema.safeParse(rawFormat ?? 'json');
    if (!format.success) throw new ValidationError('Invalid audit query: format must be json or csv');
    const page = await queryAudit({ reader, clock }, filters);
    if (format.data === 'json') return json(page);
    return {
      statusCode: 200,
      headers: {
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': 'attachment; filename="audit-events.csv"',
        'Cache-Control': 'no-store',
        ...(page.cursor === undefined ? {} : { 'X-Next-Cursor': page.cursor }),
      },
      body: stringify(page.items.map(csvRecord), { header: true, columns: [...CSV_COLUMNS] }),
    };
  };

  return middy<APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2, Error, Context>(
    route,
  )
    .use(
      httpErrorHandler({
        logger: false,
        fallbackMessage: JSON.stringify({ error: 'INTERNAL', message: 'Internal error.' }),
      }),
    )
    .use(brokerErrorsToHttp(() => get().logger));
}

/**
 * Wiring for AWS: the audit table (and the digests table, when set: a target's closed days are
 * read from it) from the environment, one reader and logger per container.
 */
function depsFromEnv(): AuditApiDeps {
  const config = readEnv({
    [ENV.auditTable]: z.string().min(1),
    [ENV.auditDigestsTable]: z.string().min(1).optional(),
  });
  const reader = createAuditReader({
    tableName: config[ENV.auditTable] as string,
    digestsTableName: config[ENV.auditDigestsTable],
  });
  return {
    reader,
    ...(reader.digests ? { digests: reader.digests } : {}),
    clock: { now: () => new Date() },
    logger: new Logger({ serviceName: 'jit-audit-api' }),
  };
}

export const handler = createAuditApiHandler(depsFromEnv);
