import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, ScheduledEvent } from 'aws-lambda';
import * as z from 'zod';
import { createAnchorClients } from '../../shared/adapters/aws/anchor-clients.js';
import { KmsDigestSigner } from '../../shared/adapters/aws/kms-digest-signer.js';
import { S3AnchorStore } from '../../shared/adapters/aws/s3-anchor-store.js';
import { DynamoAuditDigests } from '../../shared/adapters/dynamodb/audit-digests.js';
import { AUDIT_DIGEST_SETTINGS_SHAPE } from '../../shared/config/audit-digest-settings.js';
import { DynamoAuditQuery } from '../../shared/adapters/dynamodb/audit-query.js';
import { createDocumentClient } from '../../shared/adapters/dynamodb/client.js';
import { systemClock } from '../../shared/adapters/ids.js';
import { ENV, readEnv } from '../../shared/config/env.js';
import {
  anchorAuditHeads,
  type AnchorAuditDeps,
  type AnchorRun,
} from '../../shared/usecases/anchor-audit.js';
import { digestAuditDays, type DigestAuditDeps, type DigestRun } from '../../shared/usecases/digest-audit.js';
import { listenerLogger } from '../wiring/base-wiring.js';
import { lambdaEntry } from '../wiring/lambda-entry.js';

/**
 * Stop before signing or writing, or before digesting another day, when less than this is left:
 * the next run (5 minutes on) goes on.
 */
const SAFETY_MARGIN_MS = 5_000;

/** What one invocation did: the anchor run, and then the digest run (when digests are wired). */
export type AnchorInvocation = AnchorRun & { readonly digest?: DigestRun };

/**
 * One run of the anchor schedule: anchor the heads when they moved, then digest the audit days
 * that closed since the last digest, both within the invocation's time. The anchor run comes
 * first and its result stands whatever the digest run does.
 */
export function createAnchorHandler(deps: AnchorAuditDeps, digest?: DigestAuditDeps) {
  return async (
    _event: ScheduledEvent | Record<string, never>,
    context?: Pick<Context, 'getRemainingTimeInMillis'>,
  ): Promise<AnchorInvocation> => {
    const budget = context ? { shouldStop: () => context.getRemainingTimeInMillis() < SAFETY_MARGIN_MS } : {};
    const anchored = await anchorAuditHeads(deps, budget);
    if (!digest) return anchored;
    // The digest run never throws: a failure is its result, counted and retried by the next run.
    return { ...anchored, digest: await digestAuditDays(digest, budget) };
  };
}

/**
 * Wires the anchor function from its environment: the audit table, the bucket, the KMS key, and
 * the digests table (with the first day to digest while none is, when given).
 */
export function createAnchorDeps(env: Readonly<Record<string, string | undefined>> = process.env) {
  const config = readEnv(
    {
      [ENV.auditTable]: z.string().min(1),
      [ENV.anchorBucket]: z.string().min(1),
      [ENV.anchorKeyId]: z.string().min(1),
      [ENV.anchorPrefix]: z.string().endsWith('/').optional(),
      [ENV.auditDigestsTable]: z.string().min(1),
      ...AUDIT_DIGEST_SETTINGS_SHAPE,
    },
    env,
  );
  const logger = new Logger({ serviceName: 'jit-audit-anchor' });
  const metrics = new Metrics({ namespace: env[ENV.metricsNamespace] });
  const { kms, s3 } = createAnchorClients();
  const table = config[ENV.auditTable];
  const doc = createDocumentClient();
  // One reader for the heads and the days: the digests read the trail's by-day index.
  const trail = new DynamoAuditQuery(doc, table);
  const count = (name: string, value = 1) => metrics.addMetric(name, MetricUnit.Count, value);
  const deps: AnchorAuditDeps = {
    chains: trail,
    signer: new KmsDigestSigner(kms, config[ENV.anchorKeyId]),
    // No per-object retention: the bucket's default COMPLIANCE retention locks every anchor.
    store: new S3AnchorStore(s3, {
      bucket: config[ENV.anchorBucket],
      ...(config[ENV.anchorPrefix] === undefined ? {} : { prefix: config[ENV.anchorPrefix] }),
    }),
    clock: systemClock,
    table,
    logger: listenerLogger(logger),
    metrics: { count },
  };
  const firstDay = config[ENV.auditDigestFirstDay];
  const digest: DigestAuditDeps = {
    trail,
    digests: new DynamoAuditDigests(doc, config[ENV.auditDigestsTable]),
    clock: systemClock,
    logger: listenerLogger(logger),
    metrics: { count },
    ...(firstDay === undefined ? {} : { firstDay }),
  };
  return { deps, digest, logger, metrics };
}

/** The Lambda entry point of the EventBridge `rate(5 minutes)` schedule. Wired on first call. */
export const handler = lambdaEntry<ScheduledEvent, AnchorInvocation>(() => {
  const { deps, digest, logger, metrics } = createAnchorDeps();
  const run = createAnchorHandler(deps, digest);
  return { logger, metrics, run: (event, context) => run(event, context) };
});
