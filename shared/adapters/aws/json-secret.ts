import { DEFAULT_PROVIDERS } from '@aws-lambda-powertools/parameters/base';
import { getSecret, SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../../domain/errors.js';
import { awsClientConfig, DEFAULT_AWS_DEADLINES, withCallDeadline } from './clients.js';

/** How long a warm function trusts an integration secret before reading it again. */
export const INTEGRATION_SECRET_MAX_AGE_SECONDS = 300;

/**
 * Makes getSecret's default provider one whose Secrets Manager client has a deadline that
 * throws (Powertools' own has none, and a hung read would stall the function). Installed as the
 * default provider, so Powertools' clearCaches() still applies. Idempotent.
 */
export function useSecretsProviderWithDeadline(): void {
  if (Object.hasOwn(DEFAULT_PROVIDERS, 'secrets')) return;
  DEFAULT_PROVIDERS.secrets = new SecretsProvider({
    awsSdkV3Client: withCallDeadline(
      new SecretsManagerClient(awsClientConfig({ maxAttempts: 3 })),
      DEFAULT_AWS_DEADLINES.callMs,
    ),
  });
}

/**
 * Reads a JSON secret object through Powertools (cached for INTEGRATION_SECRET_MAX_AGE_SECONDS,
 * so a rotation reaches warm containers within minutes), through the provider with a deadline.
 * Errors name the variable, never the secret's content.
 */
export async function readJsonSecret(secretArn: string, variable: string): Promise<Record<string, unknown>> {
  useSecretsProviderWithDeadline();
  const value: unknown = await getSecret(secretArn, {
    transform: 'json',
    maxAge: INTEGRATION_SECRET_MAX_AGE_SECONDS,
  });
  if (value === null || typeof value !== 'object') {
    throw new ConfigError(`${variable}: the secret must be a JSON object`);
  }
  return value as Record<string, unknown>;
}
