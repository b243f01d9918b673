import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { ConfigError } from '../../domain/errors.js';
import { toOperationError } from './aws-errors.js';

/** The Slack credentials secret: JSON `{ "signingSecret": "...", "botToken": "xoxb-..." }`. */
export interface SlackSecret {
  readonly signingSecret: string;
  readonly botToken: string;
}

const slackSecretSchema = z.object({ signingSecret: z.string().min(1), botToken: z.string().min(1) });

/** Reads the Slack secret from Secrets Manager. The values are never logged. */
export async function readSlackSecret(client: SecretsManagerClient, secretId: string): Promise<SlackSecret> {
  let text: string | undefined;
  try {
    text = (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
  } catch (error) {
    throw toOperationError('secretsmanager:GetSecretValue', error);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '');
  } catch {
    parsed = undefined;
  }
  const result = slackSecretSchema.safeParse(parsed);
  // Why: name the keys that are wrong, never echo the secret.
  if (!result.success) {
    throw new ConfigError(`Secret ${secretId} must be JSON with string keys signingSecret and botToken.`);
  }
  return result.data;
}
