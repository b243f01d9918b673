import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, ScheduledEvent } from 'aws-lambda';
import * as z from 'zod';
import { createAnchorClients } from '../../shared/adapters/aws/anchor-clients.js';
import { KmsDigestSigner } from '../../shared/adapters/aws/kms-digest-signer.js';
import { S3AnchorStore } from '../../shared/adapters/aws/s3-anchor-store.js';
import { DynamoAuditQuery } from '../../shared/adapters/dynamodb/audit-query.js';
import { createDocumentClient } from '../../shared/adapters/dynamodb/client.js';
import { systemClock } from '../../shared/adapters/ids.js';
import { ENV, readEnv } from '../../shared/config/env.js';
import {
  anchorAuditHeads,
  type AnchorAuditDeps,
  type AnchorRun,
} from '../../shared/usecases/anchor-audit.js';
import { listenerLogger } from '../wiring/base-wiring.js';
import { lambdaEntry } from '../wiring/lambda-entry.js';

/** Stop before signing or writing when less than this is left: the next run (5 minutes on) goes on. */
const SAFETY_MARGIN_MS = 5_000;

/** One run of the anchor schedule: anchor the heads when they moved, within the invocation's time. */
export function createAnchorHandler(deps: AnchorAuditDeps) {
  return (
    _event: ScheduledEvent | Record<string, never>,
    context?: Pick<Context, 'getRemainingTimeInMillis'>,
  ): Promise<AnchorRun> =>
    anchorAuditHeads(
      deps,
      context ? { shouldStop: () => context.getRemainingTimeInMillis() < SAFETY_MARGIN_MS } : {},
    );
}

/** Wires the anchor function from its environment: the audit table, the bucket, the KMS key. */
export function createAnchorDeps(env: Readonly<Record<string, string | undefined>> = process.env) {
  const config = readEnv(
    {
      [ENV.auditTable]: z.string().min(1),
      [ENV.anchorBucket]: z.string().min(1),
      [ENV.anchorKeyId]: z.string().min(1),
      [ENV.anchorPrefix]: z.string().endsWith('/').optional(),
    },
    env,
  );
  const logger = new Logger({ serviceName: 'jit-audit-anchor' });
  const metrics = new Metrics({ namespace: env[ENV.metricsNamespace] });
  const { kms, s3 } = createAnchorClients();
  const table = config[ENV.auditTable];
  const deps: AnchorAuditDeps = {
    chains: new DynamoAuditQuery(createDocumentClient(), table),
    signer: new KmsDigestSigner(kms, config[ENV.anchorKeyId]),
    // No per-object retention: the bucket's default COMPLIANCE retention locks every anchor.
    store: new S3AnchorStore(s3, {
      bucket: config[ENV.anchorBucket],
      ...(config[ENV.anchorPrefix] === undefined ? {} : { prefix: config[ENV.anchorPrefix] }),
    }),
    clock: systemClock,
    table,
    logger: listenerLogger(logger),
    metrics: { count: (name, value = 1) => metrics.addMetric(name, MetricUnit.Count, value) },
  };
  return { deps, logger, metrics };
}

/** The Lambda entry point of the EventBridge `rate(5 minutes)` schedule. Wired on first call. */
export const handler = lambdaEntry<ScheduledEvent, AnchorRun>(() => {
  const { deps, logger, metrics } = createAnchorDeps();
  const run = createAnchorHandler(deps);
  return { logger, metrics, run: (event, context) => run(event, context) };
});
