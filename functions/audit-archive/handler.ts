import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import * as z from 'zod';
import { createArchiveClients } from '../../shared/adapters/aws/archive-clients.js';
import { deliveredAuditEvents } from '../../shared/adapters/aws/audit-stream.js';
import { EventBridgeForwarder } from '../../shared/adapters/aws/eventbridge-forwarder.js';
import { S3ArchiveStore } from '../../shared/adapters/aws/s3-archive-store.js';
import { ENV, readEnv } from '../../shared/config/env.js';
import { archiveAuditEvents, type ArchiveDeps } from '../../shared/usecases/archive-audit.js';
import type { UseCaseLogger } from '../../shared/usecases/deps.js';
import { useCaseLogger } from '../wiring/base-wiring.js';
import { lambdaEntry } from '../wiring/lambda-entry.js';

/**
 * One batch of the audit table's stream: archive its events and report the records that
 * failed as batch item failures, so that Lambda retries from the first of them (and only
 * them and what follows); the archive's deterministic keys make every retry an overwrite.
 */
export function createArchiveHandler(deps: ArchiveDeps & { readonly logger?: UseCaseLogger }) {
  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const delivered = deliveredAuditEvents(event.Records);
    const result = await archiveAuditEvents(deps, delivered);
    if (result.failedDeliveries.length > 0) {
      deps.logger?.warn('audit events not archived; the stream retries them', {
        failed: result.failedDeliveries.length,
        error: String((result.firstError as Error | undefined)?.message ?? result.firstError),
      });
    }
    return { batchItemFailures: result.failedDeliveries.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

/** Wires the archive function from its environment: the bucket and, optionally, the event bus. */
export function createArchiveDeps(env: Readonly<Record<string, string | undefined>> = process.env) {
  const config = readEnv(
    {
      [ENV.archiveBucket]: z.string().min(1),
      [ENV.archiveEventBus]: z.string().min(1).optional(),
    },
    env,
  );
  const { s3, events } = createArchiveClients();
  const bus = config[ENV.archiveEventBus];
  const logger = new Logger({ serviceName: 'jit-audit-archive' });
  const deps: ArchiveDeps & { logger: UseCaseLogger } = {
    store: new S3ArchiveStore(s3, config[ENV.archiveBucket]),
    ...(bus === undefined ? {} : { forwarder: new EventBridgeForwarder(events, bus) }),
    logger: useCaseLogger(logger),
  };
  return { deps, logger };
}

/** The Lambda entry point of the audit table's DynamoDB stream. Wired on first call. */
export const handler = lambdaEntry<DynamoDBStreamEvent, DynamoDBBatchResponse>(() => {
  const { deps, logger } = createArchiveDeps();
  const run = createArchiveHandler(deps);
  return { logger, run: (event) => run(event) };
});
