import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  awsClientConfig,
  resolveDeadlines,
  withCallDeadline,
  type AwsClientOptions,
} from '../aws/clients.js';

/**
 * The DocumentClient every DynamoDB adapter receives, with the deadlines every AWS client
 * has (see awsClientConfig): a hung DynamoDB call throws instead of stalling a run. The SDK
 * itself honours AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_DYNAMODB; `config` overrides for tests.
 */
export function createDocumentClient(
  config: DynamoDBClientConfig = {},
  options: AwsClientOptions = {},
): DynamoDBDocumentClient {
  const client = new DynamoDBClient({ ...awsClientConfig(options), ...config });
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  // Why the document client: it sends through its own `send`, not the wrapped client's.
  return withCallDeadline(doc, resolveDeadlines(options.deadlines).callMs);
}
