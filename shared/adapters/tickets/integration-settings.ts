import * as z from 'zod';
import { readEnv } from '../../config/env.js';
import { ConfigError } from '../../domain/errors.js';
import { readJsonSecret } from '../aws/json-secret.js';
import { HttpOnCallRoster, type OnCallConnections } from '../oncall/on-call-roster.js';
import { HttpTicketSystems, type TicketConnections } from './ticket-systems.js';

/**
 * The environment of the ticket and on-call integrations. Per system: a base URL, and either a
 * Secrets Manager secret (in AWS) or a token variable (local runs against a stand-in). A system
 * without a base URL is not configured: a target or set that uses it fails closed (refused, or
 * the policy's explicit fallback).
 *
 * Secrets are JSON: Jira `{email, apiToken}` (Basic) or `{token}` (Bearer); ServiceNow
 * `{username, password}` (Basic) or `{token}` (Bearer); PagerDuty `{token}`; Opsgenie `{apiKey}`.
 */
export const INTEGRATION_ENV = {
  jira: { url: 'JIRA_BASE_URL', secret: 'JIRA_SECRET_ARN', token: 'JIRA_TOKEN' },
  servicenow: { url: 'SERVICENOW_BASE_URL', secret: 'SERVICENOW_SECRET_ARN', token: 'SERVICENOW_TOKEN' },
  pagerduty: { url: 'PAGERDUTY_BASE_URL', secret: 'PAGERDUTY_SECRET_ARN', token: 'PAGERDUTY_TOKEN' },
  opsgenie: { url: 'OPSGENIE_BASE_URL', secret: 'OPSGENIE_SECRET_ARN', token: 'OPSGENIE_API_KEY' },
} as const;

/** Deadline of each integration call (milliseconds). */
export const INTEGRATION_DEADLINE_ENV = 'INTEGRATION_DEADLINE_MS';

type System = keyof typeof INTEGRATION_ENV;
type EnvSource = Readonly<Record<string, string | undefined>>;

function basic(user: unknown, password: unknown): string | undefined {
  return typeof user === 'string' && typeof password === 'string' && user !== '' && password !== ''
    ? `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
    : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The Authorization header of `system` from its secret (JSON) or its local token. */
function authorizationOf(system: System, secret: Record<string, unknown>): string | undefined {
  switch (system) {
    case 'jira': {
      const token = str(secret.token);
      return basic(secret.email, secret.apiToken) ?? (token ? `Bearer ${token}` : undefined);
    }
    case 'servicenow': {
      const token = str(secret.token);
      return basic(secret.username, secret.password) ?? (token ? `Bearer ${token}` : undefined);
    }
    case 'pagerduty': {
      const token = str(secret.token);
      return token ? `Token token=${token}` : undefined;
    }
    case 'opsgenie': {
      const key = str(secret.apiKey) ?? str(secret.token);
      return key ? `GenieKey ${key}` : undefined;
    }
  }
}

function connection(system: System, env: EnvSource, deadlineMs: number | undefined) {
  const names = INTEGRATION_ENV[system];
  const values = readEnv(
    {
      [names.url]: z.url().optional(),
      [names.secret]: z.string().min(1).optional(),
      [names.token]: z.string().min(1).optional(),
    },
    env,
  );
  const baseUrl = values[names.url];
  if (baseUrl === undefined) return undefined;
  const secretArn = values[names.secret];
  const token = values[names.token];
  if (secretArn === undefined && token === undefined) {
    throw new ConfigError(`${names.url} is set: set ${names.secret} (or ${names.token} locally) too.`);
  }
  const authorization = async (): Promise<string> => {
    const secret = secretArn ? await readJsonSecret(secretArn, names.secret) : { token, apiKey: token };
    const header = authorizationOf(system, secret);
    // Why: never echo the secret's content, only which system's secret is unusable.
    if (!header) throw new ConfigError(`${names.secret}: the secret has no usable credentials for ${system}`);
    return header;
  };
  return { baseUrl, authorization, ...(deadlineMs === undefined ? {} : { deadlineMs }) };
}

function deadlineOf(env: EnvSource): number | undefined {
  return readEnv({ [INTEGRATION_DEADLINE_ENV]: z.coerce.number().int().min(50).max(30000).optional() }, env)[
    INTEGRATION_DEADLINE_ENV
  ];
}

/** The ticket systems configured in `env` (none configured: every lookup is unreachable). */
export function ticketSystemsFromEnv(
  env: EnvSource = process.env,
  options: ConstructorParameters<typeof HttpTicketSystems>[1] = {},
): HttpTicketSystems {
  const deadline = deadlineOf(env);
  const connections: TicketConnections = {};
  for (const system of ['jira', 'servicenow'] as const) {
    const api = connection(system, env, deadline);
    if (api) connections[system] = api;
  }
  return new HttpTicketSystems(connections, options);
}

/** The on-call providers configured in `env` (none configured: nobody is on call). */
export function onCallRosterFromEnv(env: EnvSource = process.env): HttpOnCallRoster {
  const deadline = deadlineOf(env);
  const connections: OnCallConnections = {};
  for (const system of ['pagerduty', 'opsgenie'] as const) {
    const api = connection(system, env, deadline);
    if (api) connections[system] = api;
  }
  return new HttpOnCallRoster(connections);
}
