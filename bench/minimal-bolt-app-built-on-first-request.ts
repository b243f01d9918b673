/**
 * A fourth floor for `npm run bench:slack`: the minimal Bolt app (minimal-bolt.ts), but
 * built on the first request, as the Slack function builds its own (its token is in Secrets
 * Manager). Building an App with a token starts Bolt's auth.test, so the minimal app's module
 * load includes that call's start (Node's HTTP stack and fetch); this one's does not, like the
 * Slack function's. Not deployed.
 */
import type { AwsLambdaReceiver } from '@slack/bolt';
import type { Context } from 'aws-lambda';
import { minimalBoltApp } from './minimal-bolt.js';

let receiver: AwsLambdaReceiver | undefined;

export const handler = async (event: unknown, context: Context) => {
  receiver ??= minimalBoltApp();
  return (await receiver.start())(event as never, context);
};
