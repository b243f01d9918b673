import { existsSync } from 'node:fs';
import { config as loadDotenv } from 'dotenv';
import { ENV } from '../../shared/config/env.js';
import { BrokerError } from '../../shared/domain/errors.js';
import { readLocalConfig } from './config.js';
import { whenLauncherDies } from './lifecycle.js';
import { isSandboxedOnLoopback, startLocalBroker } from './runner.js';

/** How long a stop may take before the process exits anyway (DynamoDB Local dies with it). */
const STOP_DEADLINE_MS = 4000;

/**
 * `npm start`: the broker on this machine, on embedded defaults (see functions/local/config.ts
 * and the README's configuration table). Stops cleanly, within STOP_DEADLINE_MS, on Ctrl-C,
 * on SIGTERM to it or to the npm/tsx process that launched it, and when that process dies.
 */
async function main(): Promise<void> {
  if (existsSync('.env')) loadDotenv({ path: '.env', quiet: true });
  // The SDK is pinned in the lock file; its notice about future Node 22-only releases is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const config = readLocalConfig();
  const broker = await startLocalBroker({ config });
  const lines = [
    '',
    `JIT access broker running locally at ${broker.url}`,
    `  Slack endpoint   POST ${broker.url}/slack/events   (signed with ${ENV.slackSigningSecret})`,
    `  Audit API        GET  ${broker.url}/audit/events?person=U0DEV00001&from=2026-01-01   GET ${broker.url}/audit/verify`,
    `  Request API      ${broker.url}/api   (jit CLI: JIT_API_URL=${broker.url}/api, signed with a local key of functions/local/request-api-gate.ts, e.g. AWS_ACCESS_KEY_ID=JITLOCALDEVELOPER001 AWS_SECRET_ACCESS_KEY=jit-local-developer-secret-not-for-aws)`,
    `  Web console      ${broker.consoleUrl}${isSandboxedOnLoopback(config) ? '   (development sign-in: pick a person of the policy)' : '   (development sign-in off: not sandboxed on loopback)'}`,
    `  Health           GET  ${broker.url}/health         Sandbox state: GET ${broker.url}/sandbox`,
    `  DynamoDB         ${broker.dynamoEndpoint} (tables ${config.TABLE_PREFIX}requests, ${config.TABLE_PREFIX}audit${broker.dynamoPid === undefined ? '' : `; Java pid ${broker.dynamoPid}`})`,
    `  AWS side         ${config.AWS_MODE === 'sandbox' ? 'sandbox: memberships and sessions are recorded here, AWS is never called' : 'real IAM/STS clients (AWS_ENDPOINT_URL_<SERVICE> honoured)'}`,
    `  Slack Web API    ${broker.slack ? `built-in sandbox at ${broker.slackApiUrl} (messages are printed below)` : (broker.slackApiUrl ?? 'Slack over Socket Mode')}`,
    `  Sweeper          every ${config.SWEEP_INTERVAL_SECONDS}s, first one now (POST ${broker.url}/sweep runs one now)`,
    `  Audit evidence   anchors ${broker.evidence.anchors.dir} (public key ${broker.evidence.anchors.publicKeyFile}), archive ${broker.evidence.archive.dir}`,
    `  Access reviews   ${broker.evidence.reviews.reviewsDir} (CSV of each complete week, posted to Slack, once per week)`,
    '',
    'Try `npm run demo` in another terminal. Ctrl-C stops the broker.',
    '',
  ];
  console.log(lines.join('\n'));
  let stopping = false;
  const shutdown = async (why: string) => {
    // A second signal while stopping: the user means it.
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`stopping (${why})…`);
    // A stop stuck on an AWS call must not keep the process (and its port) alive.
    setTimeout(() => {
      console.error(`not stopped within ${STOP_DEADLINE_MS / 1000}s: exiting`);
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    await broker.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGHUP', () => void shutdown('SIGHUP'));
  whenLauncherDies((gone) => void shutdown(`the launching process ${gone.pid} is gone`));
}

main().catch((error: unknown) => {
  // Configuration and policy errors name the variable or path; anything else is unexpected.
  console.error(error instanceof BrokerError ? error.message : error);
  process.exit(1);
});
