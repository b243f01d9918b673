import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ReviewClaim, ReviewMarkers } from '../../domain/review-delivery.js';
import { HEAD_SEQ } from './audit-log.js';
import { writeOne } from './transactions.js';

/** The partition key prefix of review markers: the review function may write only these items. */
export const REVIEW_MARKER_PREFIX = 'review#';

/**
 * The key of a period's marker in the audit table: `review#<period>` / 0. Like the policy
 * versions it carries no index keys, so no audit query or verification walk ever sees it.
 */
export function reviewMarkerKey(period: string): { chain: string; seq: number } {
  return { chain: `${REVIEW_MARKER_PREFIX}${period}`, seq: HEAD_SEQ };
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
    const claimed = await writeOne(this.doc, {
      Put: {
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
      },
    });
    if (claimed) return 'claimed';
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: reviewMarkerKey(period), ConsistentRead: true }),
    );
    return Item?.status === 'delivered' ? 'delivered' : 'busy';
  }

  async complete(period: string, now: Date, detail: { location: string; posted: boolean }): Promise<void> {
    await writeOne(this.doc, {
      Update: {
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
      },
    });
  }

  async release(period: string): Promise<void> {
    // A failed condition: the claim was already completed or released.
    await writeOne(this.doc, {
      Update: {
        TableName: this.tableName,
        Key: reviewMarkerKey(period),
        UpdateExpression: 'SET #status = :released',
        ConditionExpression: '#status = :claimed',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':released': 'released', ':claimed': 'claimed' },
      },
    });
  }
}
