import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Aws, DockerImage, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { consoleCsp, consoleSecurityHeaders } from '../../console/build.js';
import type { ConsoleConfig } from '../../shared/api/console-schema.js';
import { acknowledge, acknowledgeWildcardResources } from '../nag.js';
import type { BrokerFunction } from './broker-function.js';

const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Where the console calls its API: the same origin, routed by CloudFront to the HTTP API. */
export const CONSOLE_API_PATH = '/console/api';

/** The scopes the deployed console asks the IdP for: an ID token with the person's email. */
export const DEPLOYED_CONSOLE_SCOPES = ['openid', 'email'] as const;

/**
 * What the deployed console's `config.json` says: the same-origin API, sign-in through the
 * organization's IdP (authorization code + PKCE, console/src/oidc.ts) as the client the JWT
 * authorizer accepts tokens for, back to the distribution's root.
 */
export function deployedConsoleConfig(oidc: {
  readonly issuer: string;
  readonly clientId: string;
  readonly redirectUri: string;
}): ConsoleConfig {
  return {
    apiBase: CONSOLE_API_PATH,
    signIn: 'oidc',
    oidc: { ...oidc, scopes: [...DEPLOYED_CONSOLE_SCOPES] },
  };
}

/** The origin (`https://host[:port]`) of an https URL; `what` names the setting in the error. */
export function httpsOrigin(url: string, what: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${what}: "${url}" is not a URL`);
  }
  // Why: the page sends its authorization code and PKCE verifier there; never over plain http.
  if (parsed.protocol !== 'https:') throw new Error(`${what}: "${url}" must be an https URL`);
  return parsed.origin;
}

/**
 * The issuer the console's JWT authorizer trusts when none is configured. `.invalid` never
 * resolves, so such a stack refuses every token (fail closed) until `consoleJwtIssuer` is set.
 */
export const UNCONFIGURED_ISSUER = 'https://oidc-issuer-not-configured.invalid';

export interface WebConsoleProps {
  /** The console API function (functions/console-api/handler.ts). */
  readonly apiFunction: BrokerFunction;
  /** The organization's OIDC issuer URL (the token's `iss`). */
  readonly jwtIssuer: string;
  /** The audiences (client ids) a token must be issued for (`aud`). */
  readonly jwtAudience: readonly string[];
  /** The claim that carries the person's email. Default `email`. */
  readonly emailClaim?: string;
  /**
   * The IdP's token endpoint (URL or origin), when it is on another host than the issuer (Cognito:
   * `https://<domain>.auth.<region>.amazoncognito.com`). Only its origin is used, in the CSP.
   * Default: the issuer's origin.
   */
  readonly tokenEndpointOrigin?: string;
}

/**
 * The web console in AWS: its built assets in a private S3 bucket read by CloudFront through
 * Origin Access Control, the console's API (an HTTP API whose every route needs a JWT from
 * the organization's IdP) under the same origin at `/console/api/*`, and the local server's
 * security headers (strict CSP, no framing, no referrer) on every response.
 */
export class WebConsole extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly api: apigwv2.HttpApi;
  readonly headers: cloudfront.ResponseHeadersPolicy;

  constructor(scope: Construct, id: string, props: WebConsoleProps) {
    super(scope, id);
    const emailClaim = props.emailClaim ?? 'email';
    if (props.jwtAudience.length === 0) throw new Error('consoleJwtAudience: name at least one audience');
    // The page itself talks to the IdP (discovery at the issuer, code exchange at the token endpoint).
    const idpOrigins = [
      httpsOrigin(props.jwtIssuer, 'consoleJwtIssuer'),
      httpsOrigin(props.tokenEndpointOrigin ?? props.jwtIssuer, 'consoleTokenEndpointOrigin'),
    ];

    this.bucket = new s3.Bucket(this, 'AssetsBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.bucket,
      'AwsSolutions-S1',
      'Holds only the built console (public code, no data), written by the stack deployment; CloudFront reads it through OAC and CloudTrail records changes to it.',
    );

    this.api = this.createApi(props, emailClaim);

    // Why: the same headers as the local server; the CSP is what keeps an injected script from the bearer token.
    const local = consoleSecurityHeaders();
    this.headers = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'JIT console: strict CSP, no framing, no referrer, HSTS',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: consoleCsp(...idpOrigins), override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
      },
      customHeadersBehavior: {
        customHeaders: [
          {
            header: 'Cross-Origin-Opener-Policy',
            value: local['Cross-Origin-Opener-Policy']!,
            override: true,
          },
        ],
      },
    });

    // The API answers `Cache-Control: no-store`; the token must reach it, so it is part of the key.
    const apiCache = new cloudfront.CachePolicy(this, 'ApiCachePolicy', {
      comment: 'JIT console API: forwards the bearer token, caches nothing the API marks no-store',
      defaultTtl: Duration.seconds(0),
      minTtl: Duration.seconds(0),
      maxTtl: Duration.seconds(1),
      headerBehavior: cloudfront.CacheHeaderBehavior.allowList('Authorization'),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
    });
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'JIT access broker web console',
      defaultRootObject: 'index.html',
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: this.headers,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      },
      additionalBehaviors: {
        [`${CONSOLE_API_PATH}/*`]: {
          origin: new origins.HttpOrigin(`${this.api.apiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`, {
            protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
          }),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: apiCache,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          responseHeadersPolicy: this.headers,
        },
      },
    });
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR1',
      'The console is for the organization wherever its people are; every API call needs a token from its IdP.',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR2',
      'No WAF by default: the assets are static and the API rejects calls without a valid JWT before any code runs; attach a web ACL with webAclId where required.',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR3',
      'The API stage keeps access logs (every call that reaches data); standard CloudFront logs would need an ACL-enabled bucket for static assets only.',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR4',
      'The default *.cloudfront.net certificate fixes the viewer TLS policy; minimumProtocolVersion TLS 1.2 applies once a custom domain and certificate are set.',
    );

    const origin = `https://${this.distribution.distributionDomainName}`;
    props.apiFunction.function.addEnvironment('CONSOLE_EMAIL_CLAIM', emailClaim);
    props.apiFunction.function.addEnvironment('CONSOLE_ORIGIN', origin);

    this.deployAssets(
      deployedConsoleConfig({
        issuer: props.jwtIssuer,
        // The client the authorizer accepts tokens for (its first audience).
        clientId: props.jwtAudience[0]!,
        redirectUri: `${origin}/`,
      }),
    );
  }

  private createApi(props: WebConsoleProps, emailClaim: string): apigwv2.HttpApi {
    const api = new apigwv2.HttpApi(this, 'Api', {
      description: 'JIT console API: every route needs a JWT from the organization IdP',
      createDefaultStage: false,
      // Why: a JWT authorizer on every route; nothing reaches the function without a verified token.
      defaultAuthorizer: new HttpJwtAuthorizer('OidcAuthorizer', props.jwtIssuer, {
        jwtAudience: [...props.jwtAudience],
        identitySource: ['$request.header.Authorization'],
      }),
    });
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    new apigwv2.HttpStage(this, 'ApiStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        // Who called (the email claim), never the token.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            method: '$context.httpMethod',
            path: '$context.path',
            status: '$context.status',
            caller: `$context.authorizer.claims.${emailClaim}`,
            authorizerError: '$context.authorizer.error',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    api.addRoutes({
      path: `${CONSOLE_API_PATH}/{proxy+}`,
      methods: [apigwv2.HttpMethod.GET, apigwv2.HttpMethod.POST],
      integration: new HttpLambdaIntegration('ConsoleApi', props.apiFunction.function),
    });
    return api;
  }

  /**
   * Uploads the built console (console/build.ts, run by the local esbuild at synth: offline,
   * no Docker) and its `config.json` (written at deploy time: the distribution's domain is a
   * deploy-time value), and invalidates CloudFront's copy.
   */
  private deployAssets(config: ConsoleConfig): void {
    const built = s3deploy.Source.asset(CONSOLE_DIR, {
      bundling: {
        // Never used: local bundling always succeeds or throws.
        image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:24-slim'),
        local: { tryBundle: (outputDir) => buildConsoleInto(outputDir) },
      },
    });
    new s3deploy.BucketDeployment(this, 'Assets', {
      sources: [built, s3deploy.Source.jsonData('config.json', config)],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      memoryLimit: 256,
    });
    // cdk-nag findings on CDK's own deploy-time provider (a singleton at the stack's root).
    const provider = Stack.of(this).node.children.find((c) =>
      c.node.id.startsWith('Custom::CDKBucketDeployment'),
    );
    if (!provider) return;
    acknowledge(
      provider,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      "CDK's BucketDeployment provider logs with AWSLambdaBasicExecutionRole; it runs only while deploying the console.",
    );
    const reason =
      "CDK's BucketDeployment provider reads its staged asset and replaces the console bucket's objects (its own grants: object wildcards by design).";
    for (const finding of [
      'Action::s3:Abort*',
      'Action::s3:DeleteObject*',
      'Action::s3:GetBucket*',
      'Action::s3:GetObject*',
      'Action::s3:List*',
      'Resource::*',
      'Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*',
    ]) {
      acknowledge(provider, `AwsSolutions-IAM5[${finding}]`, reason);
    }
    acknowledgeWildcardResources(provider, [this.bucket.arnForObjects('*')], reason);
    acknowledge(
      provider,
      'AwsSolutions-L1',
      "CDK's BucketDeployment provider pins the Python runtime its code is built for; it runs only while deploying.",
    );
  }
}

/** Runs console/build.ts into `outputDir` (synchronously, as CDK's local bundling must). */
function buildConsoleInto(outputDir: string): boolean {
  const script = `import(${JSON.stringify(pathToFileURL(join(CONSOLE_DIR, 'build.ts')).href)}).then((m) => m.writeConsoleAssets(${JSON.stringify(outputDir)}))`;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) {
    rmSync(outputDir, { recursive: true, force: true });
    throw new Error(`building the web console failed (exit ${result.status ?? result.signal})`);
  }
  return true;
}
