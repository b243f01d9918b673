import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { AgentRoleStack } from '../../infra/agent-role-stack.js';

const BROKER = [
  'arn:aws:iam::111122223333:role/jit-broker-GrantWorker',
  'arn:aws:iam::111122223333:role/jit-broker-Sweeper',
  'arn:aws:iam::111122223333:role/jit-broker-Reconciler',
];

function synth() {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'jit-agent-')) });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new AgentRoleStack(app, 'Agent', { brokerRoleArns: BROKER });
  const assembly = app.synth();
  return { template: Template.fromStack(stack), dir: assembly.directory };
}

describe('AgentRoleStack (member-account agent role)', () => {
  const { template, dir } = synth();

  it('trusts only the broker worker, sweeper and reconciler roles, under a permissions boundary', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'jit-broker-agent',
      PermissionsBoundary: { Ref: Match.stringLikeRegexp('Boundary') },
    });
    const role = Object.values(template.findResources('AWS::IAM::Role'))[0] as {
      Properties: {
        AssumeRolePolicyDocument: { Statement: { Action: string; Principal: { AWS: string } }[] };
      };
    };
    const trust = role.Properties.AssumeRolePolicyDocument.Statement;
    expect(trust.map((s) => [s.Action, s.Principal.AWS])).toEqual(
      BROKER.map((arn) => ['sts:AssumeRole', arn]),
    );
  });

  it('allows only group membership actions on /jit/ groups (ListGroupsForUser on users, LookupEvents to read)', () => {
    const role = Object.values(template.findResources('AWS::IAM::Role'))[0] as {
      Properties: {
        Policies: { PolicyDocument: { Statement: { Action: string[]; Resource: unknown }[] } }[];
      };
    };
    const statements = role.Properties.Policies.flatMap((p) => p.PolicyDocument.Statement);
    expect(statements.map((s) => s.Action)).toEqual([
      ['iam:AddUserToGroup', 'iam:RemoveUserFromGroup', 'iam:GetGroup'],
      'iam:ListGroupsForUser',
      // The activity of permission-set grants in this account (LookupEvents has no resource).
      'cloudtrail:LookupEvents',
    ]);
    expect(JSON.stringify(statements[0]?.Resource)).toContain(':group/jit/*');
    expect(JSON.stringify(statements[1]?.Resource)).toContain(':user/*');
    expect(statements[2]?.Resource).toBe('*');
  });

  it('is clean under cdk-nag', () => {
    const report = JSON.parse(readFileSync(join(dir, 'validation-report.json'), 'utf8')) as {
      pluginReports: unknown[];
    };
    expect(report.pluginReports).toEqual([]);
  });
});
