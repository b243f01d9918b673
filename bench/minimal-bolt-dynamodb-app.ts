/**
 * A third floor for `npm run bench:slack`: the minimal Bolt app (minimal-bolt.ts) plus the
 * DynamoDB document client alone, built on the first request, and nothing else. Its load
 * against the minimal app is what any Slack function that keeps state in DynamoDB through the
 * AWS SDK pays before a line of its own code: mostly V8 compiling the SDK's modules, which
 * a bundle evaluates at load as ES module top-level code. Not deployed.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { minimalBoltApp } from './minimal-bolt.js';

const receiver = minimalBoltApp();
let doc: DynamoDBDocumentClient | undefined;

export const handler = async (event: unknown, context: Context) => {
  doc ??= DynamoDBDocumentClient.from(new DynamoDBClient({}));
  return (await receiver.start())(event as never, context);
};
