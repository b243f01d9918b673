import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StoredWatermark, SweepWatermarks } from '../../domain/activity.js';
import { HEAD_SEQ } from './audit-log.js';
import { stampSchema, unstampSchema } from './item-schema.js';
import { writeOne } from './transactions.js';

/**
 * The key of the activity sweep's watermark in the audit table: `sweep#activity` / 0. Like
 * the policy versions and review markers it carries no index keys and no `chain-` prefix, so
 * no audit query, verification walk or archive export ever sees it.
 */
export const ACTIVITY_WATERMARK_KEY = { chain: 'sweep#activity', seq: HEAD_SEQ } as const;

/**
 * The activity sweep's watermark, kept beside the chains. Written in a single-item
 * transaction (the boundary forbids lone writes to the audit table), conditional on the
 * version read: an overlapping run that lost the race leaves it as the winner stored it.
 */
export class DynamoSweepWatermarks implements SweepWatermarks {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async read(): Promise<StoredWatermark> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: ACTIVITY_WATERMARK_KEY, ConsistentRead: true }),
    );
    if (!Item) return { version: 0 };
    const version = Item.version;
    // Why: a newer release's item is not overwritten (this throws; the sweep reads its lookback).
    unstampSchema(Item, 'The activity sweep watermark');
    // Why -1: an unreadable version cannot be matched, so the next write replaces the item whole.
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) return { version: -1 };
    return typeof Item.at === 'string' ? { at: Item.at, version } : { version };
  }

  async advance(at: string, previous: StoredWatermark): Promise<boolean> {
    const condition =
      previous.version === 0
        ? { ConditionExpression: 'attribute_not_exists(chain)' }
        : previous.version < 0
          ? {}
          : {
              ConditionExpression: '#version = :previous',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':previous': previous.version },
            };
    return writeOne(this.doc, {
      Put: {
        TableName: this.tableName,
        Item: stampSchema({ ...ACTIVITY_WATERMARK_KEY, at, version: Math.max(previous.version, 0) + 1 }),
        ...condition,
      },
    });
  }
}
