/**
 * A fourth floor for `npm run bench:slack`: the minimal Bolt app (minimal-bolt-app.ts), but
 * with its App built on the first request, as the Slack function builds its own (its token is
 * in Secrets Manager). Building an App with a token starts Bolt's auth.test, so the minimal
 * app's module load includes that call's start (Node's HTTP stack and fetch); this one's does
 * not, like the Slack function's. Not deployed.
 */
import { App, AwsLambdaReceiver } from '@slack/bolt';
import type { Context } from 'aws-lambda';

let receiver: AwsLambdaReceiver | undefined;

export const handler = async (event: unknown, context: Context) => {
  if (!receiver) {
    receiver = new AwsLambdaReceiver({ signingSecret: process.env.SLACK_SIGNING_SECRET ?? 'bench-secret' });
    const app = new App({
      token: 'xoxb-bench',
      receiver,
      ...(process.env.SLACK_API_URL ? { clientOptions: { slackApiUrl: process.env.SLACK_API_URL } } : {}),
    });
    app.command('/hello', async ({ ack }) => {
      await ack('hello');
    });
  }
  return (await receiver.start())(event as never, context);
};
