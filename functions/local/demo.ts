import { existsSync } from 'node:fs';
import { config as loadDotenv } from 'dotenv';
import { ENV } from '../../shared/config/env.js';
import { readLocalConfig } from './config.js';
import { startLocalBroker } from './runner.js';
import { playScenario, type ScenarioBroker } from './scenario.js';

/**
 * `npm run demo`: plays request, approve, grant, credentials, release, expiry, audit query
 * and verify through signed Slack requests, printing a timeline. With BROKER_URL it uses a
 * running broker (`npm start`); otherwise it starts one in-process (in memory, on a free
 * port) whose clock it can move to show expiry. Exits non-zero if any step misbehaves.
 */
async function main(): Promise<number> {
  if (existsSync('.env')) loadDotenv({ path: '.env', quiet: true });
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const remote = process.env.BROKER_URL;
  let offsetSeconds = 0;
  let stop = async () => undefined as void;
  let broker: ScenarioBroker;
  if (remote) {
    const config = readLocalConfig();
    broker = { url: remote.replace(/\/$/, ''), signingSecret: config[ENV.slackSigningSecret] };
    console.log(`Demo against the running broker at ${broker.url}\n`);
  } else {
    const config = readLocalConfig({
      ...process.env,
      PORT: '0',
      LOCAL_DATA_DIR: 'memory',
      AWS_MODE: 'sandbox',
      SLACK_API_URL: undefined,
      SLACK_APP_TOKEN: undefined,
      AWS_ENDPOINT_URL_DYNAMODB: undefined,
      LOCAL_QUIET: 'true',
    });
    console.log('Starting a broker in-process (DynamoDB Local in memory, AWS and Slack sandboxes)…');
    const local = await startLocalBroker({
      config,
      clock: { now: () => new Date(Date.now() + offsetSeconds * 1000) },
    });
    stop = () => local.stop();
    broker = {
      url: local.url,
      signingSecret: config[ENV.slackSigningSecret],
      advanceClock: (seconds) => {
        offsetSeconds += seconds;
      },
    };
    console.log(`Broker at ${local.url}\n`);
  }
  try {
    await playScenario(broker, (step) => {
      console.log(`${(step.ms / 1000).toFixed(2).padStart(7)}s  ${step.name.padEnd(15)} ${step.detail}`);
    });
    console.log('\nDemo passed.');
    return 0;
  } catch (error) {
    console.error(`\nDemo FAILED: ${(error as Error).message}`);
    return 1;
  } finally {
    await stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
