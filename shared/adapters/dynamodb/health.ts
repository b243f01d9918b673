import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** The answer of a health check: `down` carries the reason (never a credential). */
export type DynamoHealth = { readonly status: 'ok' } | { readonly status: 'down'; readonly reason: string };

/**
 * Checks that DynamoDB answers for the broker's table: one DescribeTable (cheap, no item
 * read) under a short deadline, so a health endpoint answers fast even when DynamoDB hangs.
 */
export class DynamoHealthProbe {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async check(timeoutMs = 1500): Promise<DynamoHealth> {
    try {
      const { Table } = await this.client.send(new DescribeTableCommand({ TableName: this.tableName }), {
        abortSignal: AbortSignal.timeout(timeoutMs),
      });
      if (Table?.TableStatus !== 'ACTIVE') {
        return { status: 'down', reason: `table ${this.tableName} is ${Table?.TableStatus ?? 'missing'}` };
      }
      return { status: 'ok' };
    } catch (error) {
      const { name, message } = error as Error;
      return {
        status: 'down',
        reason:
          name === 'AbortError' || name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : message,
      };
    }
  }
}
