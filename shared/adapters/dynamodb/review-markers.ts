import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ReviewClaim, ReviewMarkers } from '../../domain/review-delivery.js';
import { HEAD_SEQ } from './audit-log.js';

/** The partition key prefix of review markers: the review function may write only these items. */
export const REVIEW_MARKER_PREFIX = 'review#';

/**
 * The key of a period's marker in the audit table: `review#<period>` / 0. Like the policy
 * versions it carries no index keys, so no audit query or verification walk ever sees it.
 */
export function reviewMarkerKey(period: string): { chain: string; seq: number } {
  return { chain: `${REVIEW_MARKER_PREFIX}${period}`, seq: HEAD_SEQ };
}

function conditionFailed(error: unknown): boolean {
  return (error as { name?: string }).name === 'ConditionalCheckFailedException';
}

/**
 * Review markers in the audit table. A claim is a conditional put that succeeds when no
 * marker exists, the last run released it, or its lease ran out; `complete` turns it into
 * `delivered`, which no claim ever takes again.
 */
export class DynamoReviewMarkers implements ReviewMarkers {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(period: string, now: Date, leaseMs: number): Promise<ReviewClaim> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...reviewMarkerKey(period),
            status: 'claimed',
            leaseUntil: new Date(now.getTime() + leaseMs).toISOString(),
          },
          ConditionExpression:
            'attribute_not_exists(chain) OR #status = :released OR (#status = :claimed AND leaseUntil < :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':released': 'released',
            ':claimed': 'claimed',
            ':now': now.toISOString(),
          },
        }),
      );
      return 'claimed';
    } catch (error) {
      if (!conditionFailed(error)) throw error;
      const { Item } = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: reviewMarkerKey(period), ConsistentRead: true }),
      );
      return Item?.status === 'delivered' ? 'delivered' : 'busy';
    }
  }

  async complete(period: string, now: Date, detail: { location: string; posted: boolean }): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: reviewMarkerKey(period),
        UpdateExpression:
          'SET #status = :delivered, deliveredAt = :now, #location = :location, posted = :posted',
        ExpressionAttributeNames: { '#status': 'status', '#location': 'location' },
        ExpressionAttributeValues: {
          ':delivered': 'delivered',
          ':now': now.toISOString(),
          ':location': detail.location,
          ':posted': detail.posted,
        },
      }),
    );
  }

  async release(period: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: reviewMarkerKey(period),
          UpdateExpression: 'SET #status = :released',
          ConditionExpression: '#status = :claimed',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':released': 'released', ':claimed': 'claimed' },
        }),
      );
    } catch (error) {
      if (!conditionFailed(error)) throw error;
    }
  }
}
