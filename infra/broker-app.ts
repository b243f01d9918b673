import { isAbsolute, resolve } from 'node:path';
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EXAMPLE_POLICY_PATH } from '../shared/config/policy-file.js';
import { BrokerStack, type BrokerStackProps } from './broker-stack.js';

/** The CDK context keys the app reads (`-c key=value`). */
export const CONTEXT = {
  stackName: 'stackName',
  policyFile: 'policyFile',
  managedIamPath: 'managedIamPath',
  reconcileRemove: 'reconcileRemove',
  reconcileSchedule: 'reconcileSchedule',
  slackSecretArn: 'slackSecretArn',
  alarmEmail: 'alarmEmail',
  consoleJwtIssuer: 'consoleJwtIssuer',
  /** Comma-separated audiences (client ids). */
  consoleJwtAudience: 'consoleJwtAudience',
  consoleEmailClaim: 'consoleEmailClaim',
  /** The console IdP's token endpoint origin, when not the issuer's (Cognito's hosted domain). */
  consoleTokenEndpointOrigin: 'consoleTokenEndpointOrigin',
  archiveEventBus: 'archiveEventBus',
  activityRegions: 'activityRegions',
  /** The first day (YYYY-MM-DD) the audit digests cover, read by the first digest run only. */
  auditDigestFirstDay: 'auditDigestFirstDay',
} as const;

export interface BrokerAppOptions extends AppProps {
  /** Overrides for tests (entry points); everything else comes from context. */
  readonly stackProps?: Partial<BrokerStackProps>;
}

/**
 * Builds the CDK app: one broker stack configured from context, checked by cdk-nag's
 * AwsSolutions pack (an unacknowledged finding fails the synth).
 */
export function createBrokerApp(options: BrokerAppOptions = {}): { app: App; stack: BrokerStack } {
  const { stackProps, ...appProps } = options;
  const app = new App(appProps);
  const context = (key: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(key);
    return value === undefined || value === null || value === '' ? undefined : String(value);
  };
  const policyFile = context(CONTEXT.policyFile);
  const reconcileRemove = context(CONTEXT.reconcileRemove);
  if (reconcileRemove !== undefined && !['true', 'false'].includes(reconcileRemove)) {
    throw new Error(`context ${CONTEXT.reconcileRemove}: "${reconcileRemove}" must be true or false`);
  }
  const optional = <K extends keyof BrokerStackProps>(key: K, value: BrokerStackProps[K] | undefined) =>
    value === undefined ? {} : { [key]: value };

  const stack = new BrokerStack(app, context(CONTEXT.stackName) ?? 'JitAccessBroker', {
    description:
      'Serverless just-in-time access broker (Slack, IAM groups, STS sessions, hash-chained audit)',
    policyFile: policyFile
      ? isAbsolute(policyFile)
        ? policyFile
        : resolve(policyFile)
      : EXAMPLE_POLICY_PATH,
    ...optional('managedIamPath', context(CONTEXT.managedIamPath)),
    ...optional('reconcileRemove', reconcileRemove === undefined ? undefined : reconcileRemove === 'true'),
    ...optional('reconcileSchedule', context(CONTEXT.reconcileSchedule)),
    ...optional('slackSecretArn', context(CONTEXT.slackSecretArn)),
    ...optional('alarmEmail', context(CONTEXT.alarmEmail)),
    ...optional('consoleJwtIssuer', context(CONTEXT.consoleJwtIssuer)),
    ...optional(
      'consoleJwtAudience',
      context(CONTEXT.consoleJwtAudience)
        ?.split(',')
        .map((a) => a.trim())
        .filter((a) => a !== ''),
    ),
    ...optional('consoleEmailClaim', context(CONTEXT.consoleEmailClaim)),
    ...optional('consoleTokenEndpointOrigin', context(CONTEXT.consoleTokenEndpointOrigin)),
    ...optional('archiveEventBus', context(CONTEXT.archiveEventBus)),
    ...optional('auditDigestFirstDay', context(CONTEXT.auditDigestFirstDay)),
    ...optional(
      'activityRegions',
      context(CONTEXT.activityRegions)
        ?.split(',')
        .map((r) => r.trim())
        .filter((r) => r !== ''),
    ),
    ...stackProps,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
