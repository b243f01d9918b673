import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { createSlackApp, type SlackApp, type SlackAppOptions } from '../../shared/adapters/slack/app.js';
import { inspectSlackRequest, type SlackHttpEvent } from '../../shared/adapters/slack/request-guard.js';

/** What the Slack function answers (API Gateway / function URL response). */
export interface SlackHttpResponse {
  readonly statusCode: number;
  readonly headers?: Record<string, string>;
  readonly body: string;
}

export type SlackLambdaEvent = SlackHttpEvent & Record<string, unknown>;

export interface SlackHandlerOptions {
  /** Builds the app's configuration; called once per container, on the first request. */
  readonly load: () => Promise<SlackAppOptions>;
  /** Extra middy middlewares (the Powertools logger context in AWS). */
  readonly middlewares?: readonly MiddlewareObj<SlackLambdaEvent, SlackHttpResponse, Error, Context>[];
  /** The wall clock for signature freshness; tests pass their own to replay old requests. */
  readonly nowMs?: () => number;
}

/**
 * The Slack function: a middy handler around Bolt's AWS Lambda receiver. The gate refuses
 * unsigned, stale, oversized or malformed requests before any listener runs; Bolt verifies
 * the signature again and dispatches to the listeners. Two arguments (event, context).
 */
export function createHandler(options: SlackHandlerOptions) {
  let ready:
    | Promise<{
        app: SlackApp;
        signingSecret: string;
        boltHandler: ReturnType<SlackApp['receiver']['toHandler']>;
      }>
    | undefined;
  const runtime = () => {
    ready ??= options.load().then(async (config) => {
      const app = createSlackApp(config);
      return { app, signingSecret: config.signingSecret, boltHandler: await app.receiver.start() };
    });
    // A failed start-up is retried on the next request rather than cached forever.
    ready.catch(() => {
      ready = undefined;
    });
    return ready;
  };
  const gate: MiddlewareObj<SlackLambdaEvent, SlackHttpResponse, Error, Context> = {
    before: async (request) => {
      const { signingSecret } = await runtime();
      const verdict = inspectSlackRequest(request.event, signingSecret, (options.nowMs ?? Date.now)());
      if (!verdict.ok) return { statusCode: verdict.statusCode, body: verdict.reason };
      return undefined;
    },
  };
  let handler = middy<SlackLambdaEvent, SlackHttpResponse, Error, Context>();
  for (const middleware of options.middlewares ?? []) handler = handler.use(middleware);
  return handler.use(gate).handler(async (event, context) => {
    const { boltHandler } = await runtime();
    const response = await boltHandler(event as unknown as Parameters<typeof boltHandler>[0], context);
    return {
      statusCode: response.statusCode,
      ...(response.headers
        ? { headers: Object.fromEntries(Object.entries(response.headers).map(([k, v]) => [k, String(v)])) }
        : {}),
      body: response.body,
    };
  });
}
