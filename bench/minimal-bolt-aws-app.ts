/**
 * A second floor for `npm run bench:slack`: the minimal Bolt app (minimal-bolt.ts) plus the
 * AWS pieces the Slack function cannot start without: the DynamoDB document client, the SQS
 * hand-off, the secret read, the Organizations and Identity Center clients (account names) and
 * the Powertools logger, built on the first request as the function builds them. The Slack
 * function's load against this floor is the cost of the broker's own code; against the
 * minimal app, that plus the AWS SDK. Not deployed.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IdentitystoreClient } from '@aws-sdk/client-identitystore';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { Context } from 'aws-lambda';
import { minimalBoltApp } from './minimal-bolt.js';

const logger = new Logger({ serviceName: 'bench-floor' });
const receiver = minimalBoltApp();
let clients: Record<string, unknown> | undefined;

export const handler = async (event: unknown, context: Context) => {
  clients ??= {
    doc: DynamoDBDocumentClient.from(new DynamoDBClient({})),
    sqs: new SQSClient({}),
    organizations: new OrganizationsClient({}),
    ssoAdmin: new SSOAdminClient({}),
    identityStore: new IdentitystoreClient({}),
    secret: await getSecret('bench-secret'),
  };
  logger.info('request');
  return (await receiver.start())(event as never, context);
};
