import { beforeAll, describe, expect, it } from 'vitest';
import { IntegrationConfigError, resolveIntegrations } from '../../infra/constructs/integration-secrets.js';
import { INTEGRATION_ENV } from '../../shared/adapters/tickets/integration-settings.js';
import { ENV } from '../../shared/config/env.js';
import { synthBroker, type SynthResult } from './synth-broker.js';
import { list, render, SYNTH_TIMEOUT_MS, templateStatements } from './template-statements.js';

const JIRA_SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:jit/jira-AbCdEf';
const PAGERDUTY_SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:jit/pagerduty';
const INTEGRATIONS = {
  jiraBaseUrl: 'https://example.atlassian.net',
  jiraSecretArn: JIRA_SECRET,
  pagerdutyBaseUrl: 'https://api.pagerduty.com',
  pagerdutySecretArn: PAGERDUTY_SECRET,
};
/** A partial ARN (no six-character suffix) is granted with the suffix wildcard. */
const SECRET_RESOURCES = [JIRA_SECRET, `${PAGERDUTY_SECRET}-??????`].sort();

let synth: SynthResult;
let read: ReturnType<typeof templateStatements>;
beforeAll(() => {
  // The example policy (role and group targets) with Jira and PagerDuty configured by context.
  synth = synthBroker({ context: INTEGRATIONS });
  read = templateStatements(synth);
});

const variablesOf = (prefix: string): Record<string, unknown> =>
  (
    synth.json.Resources[read.logicalIdOf(prefix, 'AWS::Lambda::Function')]!.Properties!.Environment as {
      Variables: Record<string, unknown>;
    }
  ).Variables;

describe('the request API', () => {
  it(
    'is served by a function URL with AWS_IAM auth, and its URL is an output',
    () => {
      const fn = read.logicalIdOf('RequestApiFunction', 'AWS::Lambda::Function');
      synth.template.hasResourceProperties('AWS::Lambda::Url', {
        AuthType: 'AWS_IAM',
        TargetFunctionArn: { 'Fn::GetAtt': [fn, 'Arn'] },
      });
      const outputs = synth.json.Outputs as Record<string, { Value: unknown }>;
      expect(render(outputs.RequestApiUrl!.Value)).toContain('FunctionUrl');
      expect(outputs.RequestApiFunctionArn!.Value).toEqual({ 'Fn::GetAtt': [fn, 'Arn'] });
    },
    SYNTH_TIMEOUT_MS,
  );

  it('reads and writes the tables, sends grant jobs, and mints role sessions only on the role targets', () => {
    const statements = read.ofRole('RequestApiRole');
    const actions = [...new Set(statements.flatMap((s) => list(s.Action)))];
    expect(actions).toEqual(
      expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:Query', 'sqs:SendMessage']),
    );
    expect(actions.filter((a) => a.startsWith('iam:'))).toEqual([]);
    expect(actions).not.toContain('dynamodb:DeleteItem');
    const roleTargets = [
      'arn:aws:iam::111122223333:role/jit/Auditor',
      'arn:aws:iam::111122223333:role/jit/BreakGlassAdmin',
      'arn:aws:iam::111122223333:role/jit/ProdOperator',
    ];
    for (const action of ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession']) {
      expect(read.resourcesFor(statements, action), action).toEqual(roleTargets);
      // Exactly the worker's: the API hands out the same sessions.
      expect(read.resourcesFor(read.ofRole('GrantWorkerRole'), action), action).toEqual(roleTargets);
    }
  });

  it('carries the queue, the Slack secret and the managed path the grant wiring reads', () => {
    const vars = variablesOf('RequestApiFunction');
    for (const name of [ENV.grantQueueUrl, ENV.slackSecretArn, ENV.managedIamPath, ENV.policyPath])
      expect(vars, name).toHaveProperty(name);
  });
});

describe('ticket and on-call integrations', () => {
  it('give their base URLs and secret ARNs to the functions that call them, and only those', () => {
    for (const prefix of ['SlackFunction', 'SweeperFunction', 'RequestApiFunction']) {
      expect(variablesOf(prefix), prefix).toMatchObject({
        [INTEGRATION_ENV.jira.url]: INTEGRATIONS.jiraBaseUrl,
        [INTEGRATION_ENV.jira.secret]: JIRA_SECRET,
        [INTEGRATION_ENV.pagerduty.url]: INTEGRATIONS.pagerdutyBaseUrl,
        [INTEGRATION_ENV.pagerduty.secret]: PAGERDUTY_SECRET,
      });
      expect(variablesOf(prefix), prefix).not.toHaveProperty(INTEGRATION_ENV.servicenow.url);
    }
    for (const prefix of ['GrantWorkerFunction', 'ReconcilerFunction', 'AuditApiFunction'])
      expect(variablesOf(prefix), prefix).not.toHaveProperty(INTEGRATION_ENV.jira.secret);
  });

  it('may be read (GetSecretValue) by those functions, on exactly those secrets', () => {
    for (const role of ['SlackRole', 'SweeperRole', 'RequestApiRole']) {
      const statements = read.ofRole(role);
      const onIntegrations = statements.filter((s) =>
        list(s.Resource).some((r) => SECRET_RESOURCES.includes(render(r))),
      );
      expect(onIntegrations, role).toHaveLength(1);
      expect(onIntegrations[0]!.Action, role).toBe('secretsmanager:GetSecretValue');
      expect(list(onIntegrations[0]!.Resource).map(render).sort(), role).toEqual(SECRET_RESOURCES);
    }
    for (const role of ['GrantWorkerRole', 'ReconcilerRole', 'AuditApiRole', 'AuditAnchorRole']) {
      const resources = read.ofRole(role).flatMap((s) => list(s.Resource).map(render));
      expect(
        resources.filter((r) => SECRET_RESOURCES.includes(r)),
        role,
      ).toEqual([]);
    }
    const boundary = read.ofManagedPolicy('BoundaryPolicy').find((s) => s.Sid === 'IntegrationSecrets');
    expect(boundary).toMatchObject({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue' });
    expect(list(boundary!.Resource).sort()).toEqual(SECRET_RESOURCES);
  });
});

describe('resolveIntegrations', () => {
  const none = () => undefined;

  it('configures nothing by default', () => {
    expect(resolveIntegrations(undefined, none)).toEqual({});
  });

  it('prefers stack props over context', () => {
    const props = { opsgenie: { baseUrl: 'https://api.opsgenie.com', secretArn: JIRA_SECRET } };
    expect(
      resolveIntegrations(props, (key) => (key === 'opsgenieBaseUrl' ? 'https://x.test' : undefined)),
    ).toEqual(props);
  });

  it.each([
    [{ jiraBaseUrl: 'https://example.atlassian.net' }, 'jira: set both jiraBaseUrl and jiraSecretArn'],
    [{ servicenowSecretArn: JIRA_SECRET }, 'servicenow: set both'],
    [{ jiraBaseUrl: 'example', jiraSecretArn: JIRA_SECRET }, 'jiraBaseUrl: "example" is not a URL'],
    [{ jiraBaseUrl: 'https://x.test', jiraSecretArn: 'jira' }, 'is not a Secrets Manager secret ARN'],
    [{ integrationDeadlineMs: '10' }, 'must be 50 to 30000'],
  ])('fails the synth on %j', (context, message) => {
    const values = context as Record<string, string>;
    expect(() => resolveIntegrations(undefined, (key) => values[key])).toThrow(IntegrationConfigError);
    expect(() => resolveIntegrations(undefined, (key) => values[key])).toThrow(message);
  });
});
