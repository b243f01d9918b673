import { Logger } from '@aws-lambda-powertools/logger';
import { WebClient } from '@slack/web-api';
import type { ScheduledEvent } from 'aws-lambda';
import * as z from 'zod';
import { createArchiveClients } from '../../shared/adapters/aws/archive-clients.js';
import { S3ReviewStore } from '../../shared/adapters/aws/s3-review-store.js';
import { createAuditReader } from '../../shared/adapters/dynamodb/audit-reader.js';
import { createDocumentClient } from '../../shared/adapters/dynamodb/client.js';
import { DynamoReviewMarkers } from '../../shared/adapters/dynamodb/review-markers.js';
import { systemClock } from '../../shared/adapters/ids.js';
import { SlackReviewPoster } from '../../shared/adapters/slack/review-poster.js';
import { loadSlackWebSettings } from '../../shared/adapters/slack/runtime.js';
import { ENV, readEnv } from '../../shared/config/env.js';
import { loadBundledPolicy } from '../../shared/config/bundled-policy.js';
import { DEFAULT_REVIEW_PERIOD_DAYS } from '../../shared/domain/review-delivery.js';
import {
  deliverAccessReview,
  type DeliverAccessReviewDeps,
  type ReviewDelivery,
} from '../../shared/usecases/deliver-access-review.js';
import { useCaseLogger } from '../wiring/base-wiring.js';
import { lambdaEntry } from '../wiring/lambda-entry.js';

/** One run of the review schedule: deliver the last complete period, once. */
export function createAccessReviewHandler(deps: DeliverAccessReviewDeps, periodDays: number) {
  return (_event: ScheduledEvent | Record<string, never>): Promise<ReviewDelivery> =>
    deliverAccessReview(deps, { periodDays });
}

const envShape = {
  [ENV.auditTable]: z.string().min(1),
  [ENV.reviewBucket]: z.string().min(1),
  [ENV.reviewPeriodDays]: z.coerce.number().int().min(1).max(366).default(DEFAULT_REVIEW_PERIOD_DAYS),
  [ENV.policyPath]: z.string().min(1).optional(),
};

/** Wires the review function from its environment: the audit table, the bucket, Slack and the policy's security channel. */
export async function createAccessReviewDeps(
  env: Readonly<Record<string, string | undefined>> = process.env,
  logger: Logger = new Logger({ serviceName: 'jit-access-review' }),
) {
  const config = readEnv(envShape, env);
  const table = config[ENV.auditTable];
  const policyPath = config[ENV.policyPath];
  const settings = await loadSlackWebSettings(env);
  const web = new WebClient(
    settings.botToken,
    settings.slackApiUrl ? { slackApiUrl: settings.slackApiUrl } : {},
  );
  const deps: DeliverAccessReviewDeps = {
    reader: createAuditReader({ tableName: table }),
    clock: systemClock,
    store: new S3ReviewStore(createArchiveClients().s3, config[ENV.reviewBucket]),
    poster: new SlackReviewPoster(web),
    markers: new DynamoReviewMarkers(createDocumentClient(), table),
    channel:
      policyPath === undefined ? undefined : loadBundledPolicy(policyPath).policy.breakGlass?.securityChannel,
    logger: useCaseLogger(logger),
  };
  return { deps, logger, periodDays: config[ENV.reviewPeriodDays] };
}

/** The Lambda entry point of the review schedule (weekly by default). Wired on first call. */
export const handler = lambdaEntry<ScheduledEvent, ReviewDelivery>(() => {
  const logger = new Logger({ serviceName: 'jit-access-review' });
  // Wired once; a failed wiring (a bad variable, Secrets Manager down) is tried again next run.
  let ready: ReturnType<typeof createAccessReviewDeps> | undefined;
  return {
    logger,
    run: async (event) => {
      ready ??= createAccessReviewDeps(process.env, logger).catch((error: unknown) => {
        ready = undefined;
        throw error;
      });
      const { deps, periodDays } = await ready;
      return createAccessReviewHandler(deps, periodDays)(event);
    },
  };
});
