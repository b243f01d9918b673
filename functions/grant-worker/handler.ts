import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DEFAULT_AWS_DEADLINES } from '../../shared/adapters/aws/clients.js';
import { parseGrantJob, type RetryDelay } from '../../shared/adapters/aws/sqs-grant-queue.js';
import { NotFoundError } from '../../shared/domain/errors.js';
import type { GrantJob } from '../../shared/domain/ports.js';
import { activateGrant } from '../../shared/usecases/activate-grant.js';
import type { GrantDeps } from '../../shared/usecases/grant-deps.js';
import { issueCredentials } from '../../shared/usecases/issue-credentials.js';
import { restoreMembership } from '../../shared/usecases/restore-membership.js';
import { revokeGrantJob } from '../../shared/usecases/revoke-grant.js';
import { createGrantWiring } from '../wiring/grant-wiring.js';
import { lambdaEntry } from '../wiring/lambda-entry.js';

/**
 * Retry policy of the grant queue. SQS redelivers a failed job after its visibility timeout;
 * the worker stretches that timeout exponentially per attempt (30 s, 60 s, 120 s… capped at
 * 15 min) from `ApproximateReceiveCount`. On attempt `maxAttempts` an activation becomes
 * FAILED (with reason, metric and notice) and an early revoke raises its alert; a job that
 * still fails after the queue's maxReceiveCount lands in the DLQ.
 */
export function retryDelaySeconds(attempt: number): number {
  return Math.min(900, 30 * 2 ** Math.max(0, attempt - 1));
}

export interface GrantWorker {
  readonly deps: GrantDeps;
  readonly maxAttempts: number;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Backoff between deliveries (the SQS queue); without it the queue's own timeout applies. */
  readonly retry?: RetryDelay;
  /** Time a job may need at most; a record is only started with more than this left. */
  readonly safetyMarginMs?: number;
}

/**
 * Default time kept free before a record starts: one AWS call that hangs until its deadline
 * (a job stops at its first failed call) plus the job's DynamoDB writes and the retry delay.
 */
export const DEFAULT_SAFETY_MARGIN_MS = DEFAULT_AWS_DEADLINES.callMs + 4_000;

/** The part of the Lambda context the worker reads; absent in tests and local runs. */
export interface BatchTimeBudget {
  getRemainingTimeInMillis?: () => number;
}

async function runJob(worker: GrantWorker, job: GrantJob, attempt: number): Promise<string> {
  const { deps, maxAttempts } = worker;
  switch (job.kind) {
    case 'activate':
      return (await activateGrant(deps, { requestId: job.requestId, attempt, maxAttempts })).outcome;
    case 'revoke':
      return (
        await revokeGrantJob(deps, {
          requestId: job.requestId,
          actor: job.actor,
          reason: job.reason,
          attempt,
          maxAttempts,
        })
      ).outcome;
    case 'issue-credentials':
      return (await issueCredentials(deps, job)).outcome;
    case 'restore-membership':
      return (await restoreMembership(deps, { requestId: job.requestId })).outcome;
  }
}

/**
 * Consumes a batch of grant jobs and answers with the ones to deliver again
 * (`batchItemFailures`), so one failing job never makes SQS redeliver the others.
 *
 * Invariant: the handler returns before the function's timeout. A timed-out invocation makes
 * Lambda ignore `batchItemFailures` and redeliver the whole batch, finished jobs included (each
 * with one more receive count, credentials minted twice), so a record is started only while more
 * than the safety margin is left; the ones not started are handed back at once, without a retry
 * delay and without counting as a failed attempt of their own.
 */
export function createGrantWorkerHandler(worker: GrantWorker) {
  const marginMs = worker.safetyMarginMs ?? DEFAULT_SAFETY_MARGIN_MS;
  return async (event: SQSEvent, context?: BatchTimeBudget): Promise<SQSBatchResponse> => {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    const records = event.Records;
    for (const [index, record] of records.entries()) {
      const remainingMs = context?.getRemainingTimeInMillis?.();
      if (remainingMs !== undefined && remainingMs <= marginMs) {
        const notStarted = records.slice(index).map((r) => ({ itemIdentifier: r.messageId }));
        worker.logger.warn('time budget spent; handing back the records not started', {
          remainingMs,
          notStarted: notStarted.map((f) => f.itemIdentifier),
        });
        batchItemFailures.push(...notStarted);
        break;
      }
      if (!(await processRecord(worker, record)))
        batchItemFailures.push({ itemIdentifier: record.messageId });
    }
    return { batchItemFailures };
  };
}

/** Runs one job; false when it must be delivered again. */
async function processRecord(worker: GrantWorker, record: SQSRecord): Promise<boolean> {
  const attempt = Math.max(1, Number(record.attributes.ApproximateReceiveCount) || 1);
  let job: GrantJob;
  try {
    job = parseGrantJob(record.body);
  } catch (error) {
    // Never valid, so never retried usefully: it goes on to the DLQ for a human to look at.
    worker.logger.error('invalid grant job', {
      messageId: record.messageId,
      error: (error as Error).message,
    });
    return false;
  }
  const fields = { messageId: record.messageId, requestId: job.requestId, kind: job.kind, attempt };
  try {
    const outcome = await runJob(worker, job, attempt);
    worker.logger.info('grant job done', { ...fields, outcome });
    return true;
  } catch (error) {
    if (error instanceof NotFoundError) {
      worker.logger.error('grant job for an unknown grant dropped', fields);
      return true;
    }
    worker.logger.warn('grant job failed; it will be retried', {
      ...fields,
      error: (error as Error).message,
    });
    try {
      await worker.retry?.delay(record.receiptHandle, retryDelaySeconds(attempt));
    } catch (delayError) {
      worker.logger.warn('could not delay the retry', { ...fields, error: (delayError as Error).message });
    }
    return false;
  }
}

/** The Lambda entry point (SQS event source with ReportBatchItemFailures). Wired on first call. */
export const handler = lambdaEntry<SQSEvent, SQSBatchResponse>(() => {
  // The worker may add to groups: it restores memberships itself.
  const wiring = createGrantWiring({ membershipRepairs: 'in-process' });
  const processor = createGrantWorkerHandler({
    deps: wiring.deps,
    maxAttempts: wiring.settings.maxAttempts,
    logger: wiring.base.logger,
    ...(wiring.queue ? { retry: wiring.queue } : {}),
  });
  return {
    logger: wiring.base.logger,
    metrics: wiring.metrics,
    run: (event, context) => processor(event, context),
  };
});
