/**
 * The floor `npm run bench:slack` compares the Slack function with: the smallest Bolt app on
 * the same receiver (AWS Lambda), built at load as Bolt's examples build it, and bundled the
 * same way (infra/bundling.ts). Not deployed.
 */
import type { Context } from 'aws-lambda';
import { minimalBoltApp } from './minimal-bolt.js';

const receiver = minimalBoltApp();

export const handler = async (event: unknown, context: Context) =>
  (await receiver.start())(event as never, context);
