import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

/** What a Lambda entry point builds on its first call. */
export interface LambdaEntry<TEvent, TResult> {
  /** The Powertools logger: the Lambda context is added to its lines, reset per invocation. */
  readonly logger: Logger;
  /** Powertools metrics, flushed after each invocation. */
  readonly metrics?: Metrics;
  readonly run: (event: TEvent, context: Context) => Promise<TResult>;
}

/**
 * The boilerplate every scheduled or queue-driven Lambda shares, in one place: wire on the
 * first call (a cold start reads its configuration once; a bad value fails that call naming
 * the variable, and the next call tries again), then run under middy with the logger's
 * Lambda context and the metrics flush.
 */
export function lambdaEntry<TEvent, TResult>(
  build: () => LambdaEntry<TEvent, TResult>,
): (event: TEvent, context: Context) => Promise<TResult> {
  let wrapped: ((event: TEvent, context: Context) => Promise<TResult>) | undefined;
  const wrap = () => {
    const entry = build();
    let handler = middy<TEvent, TResult, Error, Context>(entry.run).use(
      injectLambdaContext(entry.logger, { resetKeys: true }),
    );
    if (entry.metrics) handler = handler.use(logMetrics(entry.metrics));
    return handler;
  };
  return async (event, context) => {
    wrapped ??= wrap();
    return wrapped(event, context);
  };
}
