import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  INTEGRATION_DEADLINE_ENV,
  INTEGRATION_ENV,
} from '../../shared/adapters/tickets/integration-settings.js';

/** The ticket and on-call systems the broker can call. */
export type IntegrationSystem = keyof typeof INTEGRATION_ENV;
export const INTEGRATION_SYSTEMS = Object.keys(INTEGRATION_ENV) as IntegrationSystem[];

/** One system's API: its base URL and the Secrets Manager secret with its credentials (JSON). */
export interface IntegrationEndpoint {
  readonly baseUrl: string;
  readonly secretArn: string;
}

export interface IntegrationsConfig {
  readonly jira?: IntegrationEndpoint;
  readonly servicenow?: IntegrationEndpoint;
  readonly pagerduty?: IntegrationEndpoint;
  readonly opsgenie?: IntegrationEndpoint;
  /** Deadline of each call, milliseconds (INTEGRATION_DEADLINE_MS; the functions default to 5000). */
  readonly deadlineMs?: number;
}

/** The CDK context keys of a system: `-c jiraBaseUrl=https://… -c jiraSecretArn=arn:…`. */
export function integrationContextKeys(system: IntegrationSystem): { url: string; secret: string } {
  return { url: `${system}BaseUrl`, secret: `${system}SecretArn` };
}
export const INTEGRATION_DEADLINE_CONTEXT = 'integrationDeadlineMs';

/** A problem in the integrations' configuration, found at synth. */
export class IntegrationConfigError extends Error {
  override readonly name = 'IntegrationConfigError';
}

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$/;
/** A complete secret ARN ends with the six characters Secrets Manager appends to the name. */
const COMPLETE_SECRET_ARN = /-[A-Za-z0-9]{6}$/;

/**
 * The integrations from stack props, else from context (`<system>BaseUrl`, `<system>SecretArn`).
 * A base URL without its secret (or the reverse) fails the synth: the function would refuse
 * to start (or silently skip the system).
 */
export function resolveIntegrations(
  props: IntegrationsConfig | undefined,
  context: (key: string) => string | undefined,
): IntegrationsConfig {
  const resolved: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const system of INTEGRATION_SYSTEMS) {
    const keys = integrationContextKeys(system);
    const baseUrl = props?.[system]?.baseUrl ?? context(keys.url);
    const secretArn = props?.[system]?.secretArn ?? context(keys.secret);
    if (baseUrl === undefined && secretArn === undefined) continue;
    if (baseUrl === undefined || secretArn === undefined) {
      problems.push(`${system}: set both ${keys.url} and ${keys.secret}`);
      continue;
    }
    if (!/^https?:\/\/[^\s/]+/.test(baseUrl)) problems.push(`${keys.url}: "${baseUrl}" is not a URL`);
    if (!SECRET_ARN.test(secretArn))
      problems.push(`${keys.secret}: "${secretArn}" is not a Secrets Manager secret ARN`);
    resolved[system] = { baseUrl, secretArn };
  }
  const deadline = props?.deadlineMs ?? context(INTEGRATION_DEADLINE_CONTEXT);
  if (deadline !== undefined) {
    const ms = Number(deadline);
    if (!Number.isInteger(ms) || ms < 50 || ms > 30_000)
      problems.push(`${INTEGRATION_DEADLINE_CONTEXT}: "${deadline}" must be 50 to 30000 milliseconds`);
    resolved.deadlineMs = ms;
  }
  if (problems.length > 0) throw new IntegrationConfigError(problems.join('\n'));
  return resolved as IntegrationsConfig;
}

/**
 * The ticket and on-call integrations' wiring: the environment variables that
 * shared/adapters/tickets/integration-settings.ts reads (base URL and secret ARN per
 * configured system), and `secretsmanager:GetSecretValue` on exactly those secrets for the
 * functions that call the systems. Nothing configured: no variables, no permission.
 */
export class IntegrationSecrets extends Construct {
  /** The variables to give the functions that use the integrations. */
  readonly environment: Readonly<Record<string, string>>;
  /** The secrets' ARNs as IAM resources (a partial ARN gets the `-??????` suffix wildcard). */
  readonly secretResources: readonly string[];

  constructor(scope: Construct, id: string, config: IntegrationsConfig) {
    super(scope, id);
    const environment: Record<string, string> = {};
    const resources: string[] = [];
    for (const system of INTEGRATION_SYSTEMS) {
      const endpoint = config[system];
      if (!endpoint) continue;
      environment[INTEGRATION_ENV[system].url] = endpoint.baseUrl;
      environment[INTEGRATION_ENV[system].secret] = endpoint.secretArn;
      resources.push(
        COMPLETE_SECRET_ARN.test(endpoint.secretArn) ? endpoint.secretArn : `${endpoint.secretArn}-??????`,
      );
    }
    if (config.deadlineMs !== undefined) environment[INTEGRATION_DEADLINE_ENV] = String(config.deadlineMs);
    this.environment = environment;
    this.secretResources = [...new Set(resources)];
  }

  /** Lets `role` read the integrations' secrets (and nothing else in Secrets Manager). */
  grantRead(role: iam.IRole): void {
    if (this.secretResources.length === 0) return;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [...this.secretResources],
      }),
    );
  }

  /** The boundary's share: the same secrets, read only. */
  capBoundary(boundary: iam.ManagedPolicy): void {
    if (this.secretResources.length === 0) return;
    boundary.addStatements(
      new iam.PolicyStatement({
        sid: 'IntegrationSecrets',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [...this.secretResources],
      }),
    );
  }
}
