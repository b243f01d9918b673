import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { ENV, readEnv } from '../../config/env.js';
import { ConfigError } from '../../domain/errors.js';
import type { GrantQueue } from '../../domain/ports.js';
import { awsClientConfig, DEFAULT_AWS_DEADLINES, withCallDeadline } from '../aws/clients.js';
import { useSecretsProviderWithDeadline } from '../aws/json-secret.js';
import { SqsGrantQueue } from '../aws/sqs-grant-queue.js';

/** How long a warm function trusts the Slack secret before reading Secrets Manager again. */
export const SLACK_SECRET_MAX_AGE_SECONDS = 300;

const slackSecretShape = z.object({ signingSecret: z.string().min(1), botToken: z.string().min(1) });

/** What the Slack function needs from outside its code: the Slack credentials and API URL. */
export interface SlackSettings {
  readonly signingSecret: string;
  readonly botToken: string;
  readonly slackApiUrl?: string;
}

/** What a Slack Web API client needs (the grant side, which only sends). */
export type SlackWebSettings = Pick<SlackSettings, 'botToken' | 'slackApiUrl'>;

type EnvSource = Readonly<Record<string, string | undefined>>;

const slackEnvShape = {
  [ENV.slackSecretArn]: z.string().min(1).optional(),
  [ENV.slackSigningSecret]: z.string().min(1).optional(),
  [ENV.slackBotToken]: z.string().min(1).optional(),
  [ENV.slackApiUrl]: z.url().optional(),
};

function withApiUrl<T extends { botToken: string }>(settings: T, slackApiUrl: string | undefined) {
  return slackApiUrl
    ? { ...settings, slackApiUrl: slackApiUrl.endsWith('/') ? slackApiUrl : `${slackApiUrl}/` }
    : settings;
}

/**
 * The one reader of the Slack secret (JSON {signingSecret, botToken}), cached by Powertools for
 * SLACK_SECRET_MAX_AGE_SECONDS. Callers that keep what they built from it (a Bolt app, a Web API
 * client) re-read it after the same age, so a rotation reaches warm containers within minutes.
 */
async function readSlackSecret(secretArn: string): Promise<z.infer<typeof slackSecretShape>> {
  useSecretsProviderWithDeadline();
  const parsed = slackSecretShape.safeParse(
    await getSecret(secretArn, { transform: 'json', maxAge: SLACK_SECRET_MAX_AGE_SECONDS }),
  );
  // Why: never echo the secret's content, only which keys are wrong.
  if (!parsed.success) {
    throw new ConfigError(
      `${ENV.slackSecretArn}: the secret must be JSON {signingSecret, botToken} (check ${parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ')})`,
    );
  }
  return parsed.data;
}

/**
 * The Slack settings: from Secrets Manager (SLACK_SECRET_ARN, JSON {signingSecret, botToken},
 * cached for SLACK_SECRET_MAX_AGE_SECONDS by Powertools) when set, else SLACK_SIGNING_SECRET and
 * SLACK_BOT_TOKEN (local runs, tests). SLACK_API_URL points the Web API at a stand-in.
 */
export async function loadSlackSettings(source: EnvSource = process.env): Promise<SlackSettings> {
  const env = readEnv(slackEnvShape, source);
  const secretArn = env[ENV.slackSecretArn];
  if (secretArn) return withApiUrl(await readSlackSecret(secretArn), env[ENV.slackApiUrl]);
  const signingSecret = env[ENV.slackSigningSecret];
  const botToken = env[ENV.slackBotToken];
  if (!signingSecret || !botToken) {
    throw new ConfigError(
      `Set ${ENV.slackSecretArn}, or both ${ENV.slackSigningSecret} and ${ENV.slackBotToken}.`,
    );
  }
  return withApiUrl({ signingSecret, botToken }, env[ENV.slackApiUrl]);
}

/**
 * The bot token alone, for functions that only send to Slack (notifications, credentials
 * modals): the same secret and cache as {@link loadSlackSettings}, else SLACK_BOT_TOKEN.
 */
export async function loadSlackWebSettings(source: EnvSource = process.env): Promise<SlackWebSettings> {
  const env = readEnv(slackEnvShape, source);
  const secretArn = env[ENV.slackSecretArn];
  const botToken = secretArn ? (await readSlackSecret(secretArn)).botToken : env[ENV.slackBotToken];
  if (!botToken) throw new ConfigError(`Set ${ENV.slackSecretArn} or ${ENV.slackBotToken} to reach Slack.`);
  return withApiUrl({ botToken }, env[ENV.slackApiUrl]);
}

/**
 * The hand-off to the grant worker: the SQS grant queue (GRANT_QUEUE_URL), whose redrive
 * policy retries and then dead-letters. Only an SQS client is built: the Slack function has
 * sqs:SendMessage and no IAM or STS client at all. No `endpoint`: AWS_ENDPOINT_URL_SQS applies.
 */
export function createSlackGrantQueue(source: EnvSource = process.env): GrantQueue {
  const env = readEnv({ [ENV.grantQueueUrl]: z.url() }, source);
  const sqs = withCallDeadline(
    new SQSClient(awsClientConfig({ maxAttempts: 3 })),
    DEFAULT_AWS_DEADLINES.callMs,
  );
  return new SqsGrantQueue(sqs, env[ENV.grantQueueUrl]);
}
