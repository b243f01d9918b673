/**
 * The floor `npm run bench:slack` compares the Slack function with: the smallest Bolt app on
 * the same receiver (AWS Lambda), bundled the same way (infra/bundling.ts). Not deployed.
 */
import { App, AwsLambdaReceiver } from '@slack/bolt';
import type { Context } from 'aws-lambda';

const receiver = new AwsLambdaReceiver({ signingSecret: process.env.SLACK_SIGNING_SECRET ?? 'bench-secret' });
const app = new App({
  token: 'xoxb-bench',
  receiver,
  // The cold-start bench (bench/cold-start.ts) sends Bolt's auth.test to a stand-in Slack.
  ...(process.env.SLACK_API_URL ? { clientOptions: { slackApiUrl: process.env.SLACK_API_URL } } : {}),
});
app.command('/hello', async ({ ack }) => {
  await ack('hello');
});

export const handler = async (event: unknown, context: Context) =>
  (await receiver.start())(event as never, context);
