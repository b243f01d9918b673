import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { ValidationError } from '../../domain/errors.js';
import type { GrantJob, GrantQueue } from '../../domain/ports.js';
import { replyToSlackView } from '../slack/reply-to.js';
import { toOperationError } from './aws-errors.js';

const id = z.string().min(1).max(128);

const issueCredentials = {
  kind: z.literal('issue-credentials'),
  requestId: id,
  requester: z.string().min(1).max(64),
};

/**
 * The wire format of a grant job: the JSON body of one SQS message. An `issue-credentials`
 * job queued before `replyTo` existed names its Slack modal as `viewId`; it still parses,
 * as the `replyTo` the Slack front door writes today.
 */
export const grantJobSchema = z.union([
  z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('activate'), requestId: id }),
    z.strictObject({
      kind: z.literal('revoke'),
      requestId: id,
      actor: z.string().min(1).max(128),
      reason: z.string().max(500),
    }),
    z.strictObject({ ...issueCredentials, replyTo: z.string().min(1).max(256) }),
    z.strictObject({ kind: z.literal('restore-membership'), requestId: id }),
  ]),
  z
    .strictObject({ ...issueCredentials, viewId: z.string().min(1).max(64) })
    .transform(({ viewId, ...job }) => ({ ...job, replyTo: replyToSlackView(viewId) })),
]);

/** Parses and validates a message body. Throws ValidationError naming the problem. */
export function parseGrantJob(body: string): GrantJob {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    throw new ValidationError('The grant job is not JSON.');
  }
  const parsed = grantJobSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ValidationError(
      `The grant job is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/** Pushes a failed message's next delivery further out (SQS visibility timeout). */
export interface RetryDelay {
  delay(receiptHandle: string, seconds: number): Promise<void>;
}

/**
 * The grant queue on SQS: each job is one JSON message. The queue's redrive policy
 * (maxReceiveCount, then the DLQ) and {@link RetryDelay} give the retries their backoff.
 */
export class SqsGrantQueue implements GrantQueue, RetryDelay {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(job: GrantJob): Promise<void> {
    const body = JSON.stringify(grantJobSchema.parse(job) satisfies GrantJob);
    try {
      await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: body }));
    } catch (error) {
      throw toOperationError('sqs:SendMessage', error);
    }
  }

  async delay(receiptHandle: string, seconds: number): Promise<void> {
    try {
      await this.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.queueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: Math.max(0, Math.min(43_200, Math.round(seconds))),
        }),
      );
    } catch (error) {
      throw toOperationError('sqs:ChangeMessageVisibility', error);
    }
  }
}
