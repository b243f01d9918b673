import { Aws, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeWildcardResources } from '../nag.js';

/**
 * Names of the brokered groups and roles. They must match the access policy's targets
 * (policy/example.yaml names exactly these, under the managed path).
 */
export const BASELINE_NAMES = {
  groups: { developers: 'jit-developers', testers: 'jit-testers', operators: 'jit-operators' },
  roles: { prodOperator: 'ProdOperator', auditor: 'Auditor', breakGlassAdmin: 'BreakGlassAdmin' },
} as const;

/** What a broker session must carry: trust policies refuse an AssumeRole without these. */
export const BROKER_SESSION_CONDITIONS = {
  // Why: CloudTrail must name the human on every action taken with the session.
  Null: { 'sts:SourceIdentity': 'false', 'aws:TagKeys': 'false' },
} as const;

export const BROKER_TRUST_ACTIONS = ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'];

/**
 * A trust-policy principal that lets only the broker's role assume, set the source
 * identity and tag the session, and only when it does set both.
 */
class BrokerSessionPrincipal extends iam.ArnPrincipal {
  override addToAssumeRolePolicy(document: iam.PolicyDocument): void {
    document.addStatements(
      new iam.PolicyStatement({
        actions: BROKER_TRUST_ACTIONS,
        principals: [new iam.ArnPrincipal(this.arn)],
        conditions: BROKER_SESSION_CONDITIONS,
      }),
    );
  }
}

export interface WebAppIamBaselineProps {
  /** The managed IAM path of the brokered groups and roles, e.g. `/jit/`. */
  readonly managedPath: string;
  /** The broker role that hands out role sessions (the grant worker's). */
  readonly brokerRole: iam.IRole;
  /** The permissions boundary of every brokered role (caps whatever their policies say). */
  readonly permissionsBoundary: iam.IManagedPolicy;
  /** Table and index ARNs the auditor may read (the audit trail and the requests). */
  readonly auditReadArns: readonly string[];
  /** The audit API function, reached through its AWS_IAM function URL. */
  readonly auditFunction: lambda.IFunction;
  /** Name prefix of the web app's own resources, scoping the example permissions. */
  readonly appName?: string;
}

/**
 * The classic web-app IAM layout the broker guards, nobody a standing member:
 * developers / testers / operators groups and the ProdOperator, Auditor and
 * BreakGlassAdmin roles under the managed path (brokered), plus the web tier's own
 * service roles outside it (never brokered). Brokered roles trust only the broker's role,
 * for one hour at most per session, and carry the brokered-role permissions boundary.
 */
export class WebAppIamBaseline extends Construct {
  readonly groups: Readonly<Record<keyof typeof BASELINE_NAMES.groups, iam.Group>>;
  readonly roles: Readonly<Record<keyof typeof BASELINE_NAMES.roles, iam.Role>>;
  readonly webTierRole: iam.Role;
  readonly webFunctionRole: iam.Role;

  constructor(scope: Construct, id: string, props: WebAppIamBaselineProps) {
    super(scope, id);
    const app = props.appName ?? 'web-app';
    const arn = (service: string, resource: string, region: string = Aws.REGION) =>
      `arn:${Aws.PARTITION}:${service}:${region}:${Aws.ACCOUNT_ID}:${resource}`;
    const appLogGroups = arn('logs', `log-group:/aws/lambda/${app}-*`);
    const prefixReason = `Example web-app permission, scoped to the app's own resources by their name prefix (${app}).`;
    const addScoped = (role: iam.Role, statement: iam.PolicyStatement) => {
      role.addToPolicy(statement);
      acknowledgeWildcardResources(role, statement.resources, prefixReason);
    };

    const group = (key: keyof typeof BASELINE_NAMES.groups, statements: iam.PolicyStatement[]) => {
      const g = new iam.Group(this, `${key[0]?.toUpperCase()}${key.slice(1)}Group`, {
        groupName: BASELINE_NAMES.groups[key],
        path: props.managedPath,
      });
      const policy = new iam.Policy(this, `${key}-policy`, { statements });
      g.attachInlinePolicy(policy);
      acknowledgeWildcardResources(
        policy,
        statements.flatMap((st) => st.resources),
        prefixReason,
      );
      return g;
    };
    this.groups = {
      developers: group('developers', [
        new iam.PolicyStatement({
          actions: ['logs:DescribeLogStreams', 'logs:FilterLogEvents', 'logs:GetLogEvents'],
          resources: [appLogGroups],
        }),
      ]),
      testers: group('testers', [
        new iam.PolicyStatement({
          actions: ['s3:GetObject', 's3:ListBucket', 's3:PutObject'],
          resources: [`arn:${Aws.PARTITION}:s3:::${app}-test-*`],
        }),
      ]),
      operators: group('operators', [
        new iam.PolicyStatement({
          actions: ['ssm:StartAutomationExecution'],
          resources: [arn('ssm', `automation-definition/${app}-*`)],
        }),
      ]),
    };

    const brokered = (key: keyof typeof BASELINE_NAMES.roles, description: string) =>
      new iam.Role(this, `${key[0]?.toUpperCase()}${key.slice(1)}Role`, {
        roleName: BASELINE_NAMES.roles[key],
        path: props.managedPath,
        description,
        maxSessionDuration: Duration.hours(1),
        permissionsBoundary: props.permissionsBoundary,
        assumedBy: new BrokerSessionPrincipal(props.brokerRole.roleArn),
      });

    const prodOperator = brokered('prodOperator', 'Production operator, brokered by the JIT broker');
    prodOperator.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess'));
    acknowledge(
      prodOperator,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/ReadOnlyAccess]',
      'Operators read everything (AWS keeps ReadOnlyAccess current as services change) and write only what the scoped statements allow; reachable only through a brokered, time-boxed session.',
    );
    addScoped(
      prodOperator,
      new iam.PolicyStatement({
        actions: ['ecs:UpdateService'],
        resources: [arn('ecs', `service/${app}/*`)],
      }),
    );
    addScoped(
      prodOperator,
      new iam.PolicyStatement({
        actions: ['lambda:PublishVersion', 'lambda:UpdateAlias', 'lambda:UpdateFunctionConfiguration'],
        resources: [arn('lambda', `function:${app}-*`)],
      }),
    );

    const auditor = brokered('auditor', 'Read-only auditor of the JIT broker, brokered by it');
    auditor.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'dynamodb:BatchGetItem',
          'dynamodb:DescribeTable',
          'dynamodb:GetItem',
          'dynamodb:Query',
          'dynamodb:Scan',
        ],
        resources: [...props.auditReadArns],
      }),
    );
    props.auditFunction.grantInvokeUrl(auditor);
    acknowledge(
      auditor,
      'AwsSolutions-IAM5[Resource::*]',
      'cloudtrail:LookupEvents supports no resource-level permission; it is read-only.',
    );
    auditor.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudtrail:LookupEvents'],
        // Why: LookupEvents supports no resource-level permission.
        resources: ['*'],
      }),
    );

    const breakGlassAdmin = brokered(
      'breakGlassAdmin',
      'Break-glass administrator, brokered by the JIT broker',
    );
    breakGlassAdmin.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('AdministratorAccess'));
    acknowledge(
      breakGlassAdmin,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AdministratorAccess]',
      'Break-glass is full administration by design; nobody holds it: the broker hands it out for at most one hour, with the responder as source identity, loud notifications and a mandatory review.',
    );

    this.roles = { prodOperator, auditor, breakGlassAdmin };

    this.webTierRole = new iam.Role(this, 'WebTierTaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'Web tier (ECS task) service role; not brokered',
    });
    addScoped(
      this.webTierRole,
      new iam.PolicyStatement({
        actions: ['ssm:GetParameter', 'ssm:GetParametersByPath'],
        resources: [arn('ssm', `parameter/${app}/*`)],
      }),
    );
    this.webFunctionRole = new iam.Role(this, 'WebFunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Web app Lambda functions service role; not brokered',
    });
    addScoped(
      this.webFunctionRole,
      new iam.PolicyStatement({
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [appLogGroups, `${appLogGroups}:*`],
      }),
    );
  }
}
