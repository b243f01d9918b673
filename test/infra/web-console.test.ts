import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { consoleCsp } from '../../console/build.js';
import { consoleConfig } from '../../shared/api/console-schema.js';
import { CONTEXT } from '../../infra/broker-app.js';
import { ENV } from '../../shared/config/env.js';
import { synthBroker, type SynthResult } from './synth-broker.js';

let synth: SynthResult;
beforeAll(() => {
  synth = synthBroker({
    context: {
      [CONTEXT.consoleJwtIssuer]: 'https://idp.example.com/oauth2/default',
      [CONTEXT.consoleJwtAudience]: 'jit-console, jit-console-mobile',
      [CONTEXT.consoleEmailClaim]: 'upn',
      // Cognito-like: the token endpoint is on another host than the issuer.
      [CONTEXT.consoleTokenEndpointOrigin]: 'https://login.example.net/oauth2/token',
    },
  });
});

const resources = (type: string) => Object.entries(synth.json.Resources).filter(([, r]) => r.Type === type);
const idOf = (type: string, prefix: string) => {
  const found = resources(type).filter(([id]) => id.startsWith(prefix));
  expect(found, `${type} ${prefix}`).toHaveLength(1);
  return found[0]![0];
};

describe('web console in AWS', () => {
  it('keeps the assets in a private, encrypted, versioned, SSL-only bucket that only CloudFront reads (OAC)', () => {
    const bucket = idOf('AWS::S3::Bucket', 'WebConsoleAssetsBucket');
    synth.template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      }),
      DeletionPolicy: 'Retain',
    });
    const policy = resources('AWS::S3::BucketPolicy').find(
      ([, p]) => JSON.stringify(p.Properties?.Bucket) === JSON.stringify({ Ref: bucket }),
    );
    const statements = (policy![1].Properties!.PolicyDocument as { Statement: Record<string, unknown>[] })
      .Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Action: 's3:GetObject',
        Principal: { Service: 'cloudfront.amazonaws.com' },
      }),
    );
    synth.template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    synth.template.resourceCountIs('AWS::CloudFront::CloudFrontOriginAccessIdentity', 0);
  });

  it('answers every response with the local server CSP and strict security headers', () => {
    synth.template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: {
          ContentSecurityPolicy: {
            ContentSecurityPolicy: consoleCsp('https://idp.example.com', 'https://login.example.net'),
            Override: true,
          },
          ContentTypeOptions: { Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
          StrictTransportSecurity: Match.objectLike({ IncludeSubdomains: true, Override: true }),
        },
      }),
    });
    const headers = idOf('AWS::CloudFront::ResponseHeadersPolicy', 'WebConsoleSecurityHeaders');
    const config = synth.json.Resources[idOf('AWS::CloudFront::Distribution', 'WebConsoleDistribution')]!
      .Properties!.DistributionConfig as {
      DefaultCacheBehavior: Record<string, unknown>;
      CacheBehaviors: Record<string, unknown>[];
      DefaultRootObject: string;
    };
    expect(config.DefaultRootObject).toBe('index.html');
    for (const behavior of [config.DefaultCacheBehavior, ...config.CacheBehaviors]) {
      expect(behavior.ResponseHeadersPolicyId).toEqual({ Ref: headers });
      expect(['redirect-to-https', 'https-only']).toContain(behavior.ViewerProtocolPolicy);
    }
    expect(config.CacheBehaviors).toEqual([
      expect.objectContaining({ PathPattern: '/console/api/*', ViewerProtocolPolicy: 'https-only' }),
    ]);
  });

  it('routes the API through a JWT authorizer with the configured issuer and audiences; no route without it', () => {
    const authorizer = idOf('AWS::ApiGatewayV2::Authorizer', 'WebConsoleApiOidcAuthorizer');
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Issuer: 'https://idp.example.com/oauth2/default',
        Audience: ['jit-console', 'jit-console-mobile'],
      },
    });
    const routes = resources('AWS::ApiGatewayV2::Route');
    expect(routes.length).toBeGreaterThan(0);
    for (const [id, route] of routes) {
      expect(route.Properties, id).toMatchObject({
        AuthorizationType: 'JWT',
        AuthorizerId: { Ref: authorizer },
      });
      expect(route.Properties?.RouteKey, id).toMatch(/^(GET|POST) \/console\/api\/\{proxy\+\}$/);
    }
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
      DefaultRouteSettings: Match.objectLike({ ThrottlingRateLimit: 50 }),
    });
  });

  it('runs the console API as a broker function with the claim and origin, least privilege', () => {
    const fn = synth.json.Resources[idOf('AWS::Lambda::Function', 'ConsoleApiFunction')]!;
    const vars = (fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(vars.CONSOLE_EMAIL_CLAIM).toBe('upn');
    expect(JSON.stringify(vars.CONSOLE_ORIGIN)).toContain('WebConsoleDistribution');
    expect(vars).toHaveProperty(ENV.grantQueueUrl);
    expect(vars[ENV.auditDigestsTable]).toEqual({ Ref: idOf('AWS::DynamoDB::Table', 'AuditDigestsTable') });
    const role = idOf('AWS::IAM::Role', 'ConsoleApiRole');
    expect(synth.json.Resources[role]!.Properties).toMatchObject({ Path: '/jit-broker/' });
    const actions = resources('AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Properties?.Roles ?? []).includes(role))
      .flatMap(
        ([, p]) => (p.Properties!.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement,
      )
      .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect([...new Set(actions)].sort()).toEqual([
      'dynamodb:ConditionCheckItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      // Only on the audit digests: the auditors' verification reads every digest.
      'dynamodb:Scan',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      // The accounts picker names accounts (the same name reads as the Slack role's).
      'organizations:DescribeAccount',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
    ]);
  });

  it('lets the page reach exactly the issuer and token-endpoint origins, nothing else', () => {
    const policies = resources('AWS::CloudFront::ResponseHeadersPolicy');
    expect(policies).toHaveLength(1);
    const csp = (
      policies[0]![1].Properties!.ResponseHeadersPolicyConfig as {
        SecurityHeadersConfig: { ContentSecurityPolicy: { ContentSecurityPolicy: string } };
      }
    ).SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy;
    const connect = csp.split('; ').find((d) => d.startsWith('connect-src '));
    expect(connect).toBe("connect-src 'self' https://idp.example.com https://login.example.net");
    expect(csp).toContain("script-src 'self';");
  });

  it('deploys config.json for OIDC sign-in: the issuer, the authorizer audience, the distribution as redirect', () => {
    const [deployment, ...others] = resources('Custom::CDKBucketDeployment');
    expect(others).toEqual([]);
    const props = deployment![1].Properties as {
      SourceObjectKeys: string[];
      SourceMarkers: Record<string, unknown>[];
    };
    const distribution = idOf('AWS::CloudFront::Distribution', 'WebConsoleDistribution');
    // What CloudFormation resolves each deploy-time marker to, with a stand-in domain name.
    const resolve = (value: unknown) =>
      JSON.stringify(value) === JSON.stringify({ 'Fn::GetAtt': [distribution, 'DomainName'] })
        ? 'd111111abcdef8.cloudfront.net'
        : `unresolved ${JSON.stringify(value)}`;
    const configs = props.SourceObjectKeys.flatMap((key, i) => {
      const file = join(synth.assembly.directory, `asset.${key.replace(/\.zip$/, '')}`, 'config.json');
      if (!existsSync(file)) return [];
      let text = readFileSync(file, 'utf8');
      for (const [marker, value] of Object.entries(props.SourceMarkers[i] ?? {}))
        text = text.replaceAll(marker, resolve(value));
      return [JSON.parse(text) as unknown];
    });
    expect(configs).toEqual([
      {
        apiBase: '/console/api',
        signIn: 'oidc',
        oidc: {
          issuer: 'https://idp.example.com/oauth2/default',
          clientId: 'jit-console',
          redirectUri: 'https://d111111abcdef8.cloudfront.net/',
          scopes: ['openid', 'email'],
        },
      },
    ]);
    expect(consoleConfig.parse(configs[0])).toEqual(configs[0]);
  });

  it('refuses an IdP reached over plain http', () => {
    expect(() =>
      synthBroker({ context: { [CONTEXT.consoleTokenEndpointOrigin]: 'http://login.example.net' } }),
    ).toThrow(/consoleTokenEndpointOrigin: "http:\/\/login\.example\.net" must be an https URL/);
  });

  it('keeps console credentials in a TTL table without backups: console API opens and collects, the worker fills', () => {
    const table = idOf('AWS::DynamoDB::Table', 'CredentialsMailboxTable');
    synth.template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        KeySchema: [{ AttributeName: 'ticket', KeyType: 'HASH' }],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
      }),
      DeletionPolicy: 'Retain',
    });
    const tableArn = { 'Fn::GetAtt': [table, 'Arn'] };
    const grantsOn = (rolePrefix: string) => {
      const role = idOf('AWS::IAM::Role', rolePrefix);
      return resources('AWS::IAM::Policy')
        .filter(([, p]) => JSON.stringify(p.Properties?.Roles ?? []).includes(role))
        .flatMap(
          ([, p]) =>
            (
              p.Properties!.PolicyDocument as {
                Statement: { Action: string | string[]; Resource: unknown }[];
              }
            ).Statement,
        )
        .filter((s) => JSON.stringify(s.Resource).includes(table))
        .map((s) => ({ Action: s.Action, Resource: s.Resource }));
    };
    expect(grantsOn('ConsoleApiRole')).toEqual([
      { Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], Resource: tableArn },
    ]);
    expect(grantsOn('GrantWorkerRole')).toEqual([{ Action: 'dynamodb:UpdateItem', Resource: tableArn }]);
    for (const fn of ['ConsoleApiFunction', 'GrantWorkerFunction']) {
      const vars = (
        synth.json.Resources[idOf('AWS::Lambda::Function', fn)]!.Properties!.Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables;
      expect(vars[ENV.credentialsMailboxTable], fn).toEqual({ Ref: table });
    }
  });
});
