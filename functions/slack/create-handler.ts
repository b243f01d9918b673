import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { createSlackApp, type SlackApp, type SlackAppOptions } from './app.js';
import { inspectSlackRequest, type SlackHttpEvent } from '../../shared/adapters/slack/request-guard.js';
import { SLACK_SECRET_MAX_AGE_SECONDS } from '../../shared/adapters/slack/runtime.js';

/** What the Slack function answers (API Gateway / function URL response). */
export interface SlackHttpResponse {
  readonly statusCode: number;
  readonly headers?: Record<string, string>;
  readonly body: string;
}

export type SlackLambdaEvent = SlackHttpEvent & Record<string, unknown>;

export interface SlackHandlerOptions {
  /**
   * Builds the app's configuration: on the first request, then again on the first request
   * after it is `maxAgeMs` old (a rotated Slack secret). Keep it cheap on repeat calls.
   */
  readonly load: () => Promise<SlackAppOptions>;
  /** Extra middy middlewares (the Powertools logger context in AWS). */
  readonly middlewares?: readonly MiddlewareObj<SlackLambdaEvent, SlackHttpResponse, Error, Context>[];
  /** The wall clock for signature freshness and the configuration's age; tests pass their own. */
  readonly nowMs?: () => number;
  /** How long a loaded configuration is trusted; default SLACK_SECRET_MAX_AGE_SECONDS. */
  readonly maxAgeMs?: number;
}

interface SlackRuntime {
  readonly signingSecret: string;
  readonly botToken: string;
  readonly boltHandler: ReturnType<SlackApp['receiver']['toHandler']>;
  /** When the configuration was (re)loaded, on the handler's clock. */
  readonly loadedAtMs: number;
}

/**
 * The Slack function: a middy handler around Bolt's AWS Lambda receiver. The gate refuses
 * unsigned, stale, oversized or malformed requests before any listener runs; Bolt verifies
 * the signature again and dispatches to the listeners. Two arguments (event, context).
 */
export function createHandler(options: SlackHandlerOptions) {
  const nowMs = options.nowMs ?? Date.now;
  const maxAgeMs = options.maxAgeMs ?? SLACK_SECRET_MAX_AGE_SECONDS * 1000;
  let current: SlackRuntime | undefined;
  let loading: Promise<SlackRuntime> | undefined;
  const reload = async (): Promise<SlackRuntime> => {
    const config = await options.load();
    const loadedAtMs = nowMs();
    const previous = current;
    // The Bolt app holds both credentials: rebuild it only when one of them was rotated.
    if (previous?.signingSecret === config.signingSecret && previous.botToken === config.botToken) {
      current = { ...previous, loadedAtMs };
    } else {
      const app = createSlackApp(config);
      current = {
        signingSecret: config.signingSecret,
        botToken: config.botToken,
        boltHandler: await app.receiver.start(),
        loadedAtMs,
      };
    }
    return current;
  };
  const runtime = (): Promise<SlackRuntime> => {
    if (current && nowMs() - current.loadedAtMs < maxAgeMs) return Promise.resolve(current);
    // Concurrent requests share one load; a failed load is retried by the next request.
    loading ??= reload().finally(() => {
      loading = undefined;
    });
    return loading;
  };
  // The configuration the gate checked a request with, so Bolt checks it with the same one.
  const checkedWith = new WeakMap<SlackLambdaEvent, SlackRuntime>();
  const gate: MiddlewareObj<SlackLambdaEvent, SlackHttpResponse, Error, Context> = {
    before: async (request) => {
      const checked = await runtime();
      checkedWith.set(request.event, checked);
      const verdict = inspectSlackRequest(request.event, checked.signingSecret, nowMs());
      if (!verdict.ok) return { statusCode: verdict.statusCode, body: verdict.reason };
      return undefined;
    },
  };
  let handler = middy<SlackLambdaEvent, SlackHttpResponse, Error, Context>();
  for (const middleware of options.middlewares ?? []) handler = handler.use(middleware);
  return handler.use(gate).handler(async (event, context) => {
    const { boltHandler } = checkedWith.get(event) ?? (await runtime());
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
