import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  TransactWriteCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';

/** The per-item cancellation codes of a cancelled transaction ('None' where that item was fine). */
export function cancellationCodes(error: unknown): string[] | undefined {
  if (
    error instanceof TransactionCanceledException ||
    (error as { name?: string })?.name === 'TransactionCanceledException'
  ) {
    return ((error as TransactionCanceledException).CancellationReasons ?? []).map((r) => r.Code ?? 'None');
  }
  return undefined;
}

/** A short, jittered pause between retries on contention. */
export function contentionPause(attempt: number): Promise<void> {
  const ms = Math.min(200, 5 * 2 ** attempt) * (0.5 + Math.random());
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether a lone conditional write (PutItem, UpdateItem) failed its condition. */
export function isConditionalCheckFailure(error: unknown): boolean {
  return (error as { name?: string }).name === 'ConditionalCheckFailedException';
}

/** One item write of a transaction (a conditional Put or Update). */
export type SingleWrite = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * One conditional write, sent as a single-item transaction. Returns false when its condition
 * failed (nothing was written). Why a transaction: the broker's permissions boundaries let its
 * roles write audit-table items only inside TransactWriteItems (`dynamodb:EnclosingOperation`),
 * so that no lone put can rewrite an event, a head or a manifest entry; items kept beside the
 * chains (policy versions, review markers) are written the same way.
 */
export async function writeOne(doc: DynamoDBDocumentClient, write: SingleWrite): Promise<boolean> {
  try {
    await doc.send(new TransactWriteCommand({ TransactItems: [write] }));
    return true;
  } catch (error) {
    if (cancellationCodes(error)?.[0] === 'ConditionalCheckFailed') return false;
    throw error;
  }
}
