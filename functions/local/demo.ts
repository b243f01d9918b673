import { existsSync } from 'node:fs';
import { config as loadDotenv } from 'dotenv';
import { ENV } from '../../shared/config/env.js';
import { readLocalConfig } from './config.js';
import { playEvidence } from './demo-evidence.js';
import { startLocalBroker, type LocalEvidence } from './runner.js';
import { playScenario, type ScenarioBroker, type ScenarioStep } from './scenario.js';

/**
 * `npm run demo`: plays request, approve, grant, credentials, release, expiry, audit query
 * and verify through signed Slack requests, printing a timeline. With BROKER_URL it uses a
 * running broker (`npm start`); otherwise it starts one in-process (in memory, on a free
 * port) whose clock it can move to show expiry, and ends with the evidence: an anchor, then
 * `jit-audit verify --anchored` and `jit-audit report`, both printed. Exits non-zero if any
 * step misbehaves.
 */
async function main(): Promise<number> {
  if (existsSync('.env')) loadDotenv({ path: '.env', quiet: true });
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const remote = process.env.BROKER_URL;
  let offsetSeconds = 0;
  let stop = async () => undefined as void;
  let broker: ScenarioBroker;
  let evidence: LocalEvidence | undefined;
  const clock = { now: () => new Date(Date.now() + offsetSeconds * 1000) };
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
    const local = await startLocalBroker({ config, clock });
    stop = () => local.stop();
    evidence = local.evidence;
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
    const since = clock.now();
    const timelineStartMs = Date.now();
    const printStep = (step: ScenarioStep) => {
      console.log(`${(step.ms / 1000).toFixed(2).padStart(7)}s  ${step.name.padEnd(15)} ${step.detail}`);
    };
    await playScenario(broker, printStep);
    if (evidence) {
      const { verify, report } = await playEvidence(evidence, { clock, since, timelineStartMs }, printStep);
      for (const run of [verify, report]) {
        console.log(`\n$ ${run.command}\n${run.stdout.trimEnd()}`);
      }
    } else {
      console.log(
        '\nEvidence: with AUDIT_TABLE_NAME and AWS_ENDPOINT_URL_DYNAMODB of the running broker, run `jit-audit verify --anchored --anchors <its anchors folder> --public-key <its public key>` and `jit-audit report --from … --to …` (npm start prints the folders).',
      );
    }
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
