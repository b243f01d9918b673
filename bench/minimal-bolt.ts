/**
 * The minimal Bolt app every floor of `npm run bench:slack` is built on: the AWS Lambda
 * receiver, an App with a bot token (Bolt starts its auth.test as the App is built) and one slash
 * command. The floors differ only in what they add and in when they build it. Not deployed.
 */
import { App, AwsLambdaReceiver } from '@slack/bolt';

/** Builds the app; its receiver answers `/hello`. */
export function minimalBoltApp(): AwsLambdaReceiver {
  const receiver = new AwsLambdaReceiver({
    signingSecret: process.env.SLACK_SIGNING_SECRET ?? 'bench-secret',
  });
  const app = new App({
    token: 'xoxb-bench',
    receiver,
    // The cold-start bench (bench/cold-start.ts) sends Bolt's auth.test to a stand-in Slack.
    ...(process.env.SLACK_API_URL ? { clientOptions: { slackApiUrl: process.env.SLACK_API_URL } } : {}),
  });
  app.command('/hello', async ({ ack }) => {
    await ack('hello');
  });
  return receiver;
}
