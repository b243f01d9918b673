/**
 * A second floor for `npm run bench:slack`: the minimal Bolt app (minimal-bolt-app.ts) plus the
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
import { App, AwsLambdaReceiver } from '@slack/bolt';
import type { Context } from 'aws-lambda';

const logger = new Logger({ serviceName: 'bench-floor' });
const receiver = new AwsLambdaReceiver({ signingSecret: process.env.SLACK_SIGNING_SECRET ?? 'bench-secret' });
const app = new App({ token: 'xoxb-bench', receiver });
let clients: Record<string, unknown> | undefined;
app.command('/hello', async ({ ack }) => {
  await ack('hello');
});

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
