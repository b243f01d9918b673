import * as z from 'zod';
import { ENV, readEnv } from '../../shared/config/env.js';
import { AUDIT_DIGEST_SETTINGS_SHAPE } from '../../shared/config/audit-digest-settings.js';
import {
  GRANT_SETTINGS_SHAPE,
  grantSettingsOf,
  type GrantSettings,
} from '../../shared/config/grant-settings.js';
import { EXAMPLE_POLICY_PATH } from '../../shared/config/policy-file.js';

/**
 * The local runner's configuration: environment variables (and an optional `.env` file),
 * each with a default so `npm start` works on a fresh clone. The README lists them all.
 * A bad value stops the start with the variable's name and the reason.
 */
export const LOCAL_DEFAULTS = {
  PORT: 3000,
  HOST: '127.0.0.1',
  LOCAL_DATA_DIR: '.local/dynamodb',
  TABLE_PREFIX: 'jit-local-',
  SWEEP_INTERVAL_SECONDS: 60,
  SWEEP_BUDGET_SECONDS: 120,
  AWS_MODE: 'sandbox',
  /** Local only: the secret the demo signs with. Set your Slack app's own when a workspace points here. */
  SLACK_SIGNING_SECRET: 'local-development-signing-secret',
  SLACK_BOT_TOKEN: 'xoxb-local',
  SANDBOX_EMAIL_DOMAIN: 'example.com',
} as const;

const flag = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((v) => v === 'true' || v === '1');

const shape = {
  PORT: z.coerce.number().int().min(0).max(65_535).default(LOCAL_DEFAULTS.PORT),
  HOST: z.string().min(1).default(LOCAL_DEFAULTS.HOST),
  [ENV.policyPath]: z.string().min(1).default(EXAMPLE_POLICY_PATH),
  /** Where the embedded DynamoDB Local keeps its data; `memory` keeps nothing. */
  LOCAL_DATA_DIR: z.string().min(1).default(LOCAL_DEFAULTS.LOCAL_DATA_DIR),
  TABLE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{0,200}$/, 'letters, digits, "_", "-" and "." only')
    .default(LOCAL_DEFAULTS.TABLE_PREFIX),
  /** A DynamoDB endpoint to use instead of the embedded DynamoDB Local. */
  AWS_ENDPOINT_URL_DYNAMODB: z.url().optional(),
  SWEEP_INTERVAL_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(LOCAL_DEFAULTS.SWEEP_INTERVAL_SECONDS),
  /** A sweep running longer than this is stuck: /health says so and the next sweep starts anyway. */
  SWEEP_BUDGET_SECONDS: z.coerce.number().int().min(1).max(3600).default(LOCAL_DEFAULTS.SWEEP_BUDGET_SECONDS),
  /** `sandbox`: record memberships and sessions locally. `aws`: the real IAM/STS clients. */
  AWS_MODE: z.enum(['sandbox', 'aws'], { error: 'must be sandbox or aws' }).default(LOCAL_DEFAULTS.AWS_MODE),
  [ENV.slackSigningSecret]: z.string().min(8).default(LOCAL_DEFAULTS.SLACK_SIGNING_SECRET),
  [ENV.slackBotToken]: z.string().min(1).default(LOCAL_DEFAULTS.SLACK_BOT_TOKEN),
  /** The Slack Web API; unset, the runner starts its own Slack sandbox and prints what it receives. */
  [ENV.slackApiUrl]: z.url().optional(),
  /** A Slack app-level token (xapp-…): use Socket Mode with a real workspace. */
  SLACK_APP_TOKEN: z.string().startsWith('xapp-', 'must be an app-level token (xapp-…)').optional(),
  /** Domain of the emails the Slack sandbox reports for users (u0dev00001@example.com). */
  SANDBOX_EMAIL_DOMAIN: z.string().min(1).default(LOCAL_DEFAULTS.SANDBOX_EMAIL_DOMAIN),
  /** Print each sandboxed AWS action and Slack message as it happens. */
  LOCAL_QUIET: flag,
  /** The first day the audit digests cover while none is digested (YYYY-MM-DD); default: the newest closed day. */
  ...AUDIT_DIGEST_SETTINGS_SHAPE,
  // The grant side's settings, the same list (and checks) as the Lambda functions'.
  ...GRANT_SETTINGS_SHAPE,
};

export type LocalConfig = Readonly<z.infer<z.ZodObject<typeof shape>>> & {
  /** The grant side's settings, named (GRANT_QUEUE_URL is ignored: the runner has its own queue). */
  readonly grant: GrantSettings;
};

/** Reads and validates the local configuration (throws ConfigError naming each bad variable). */
export function readLocalConfig(
  source: Readonly<Record<string, string | undefined>> = process.env,
): LocalConfig {
  const env = readEnv(shape, source);
  return Object.freeze({ ...env, grant: grantSettingsOf(env) });
}
