import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { BUNDLED_POLICY_DOCUMENT_SUFFIX } from '../../shared/config/bundled-policy.js';
import { bundledPolicyDocument } from '../../shared/config/bundled-policy-writer.js';
import { ENV } from '../../shared/config/env.js';
import { readPolicyText } from '../../shared/config/policy-source.js';
import { policyVersionOf } from '../../shared/domain/provenance.js';
import { ESM_REQUIRE_BANNER, LAMBDA_ESBUILD_OPTIONS, esbuildAliasArgs } from '../bundling.js';
import { BROKER_IAM_PATH } from '../managed-targets.js';

/** Lambda's code directory: where a bundled file lands in the running function. */
const TASK_ROOT = '/var/task';

export interface BrokerFunctionProps {
  /** The TypeScript entry point (exports `handler`). */
  readonly entry: string;
  readonly description: string;
  /** The function's name; CloudFormation generates one when absent. */
  readonly functionName?: string;
  /** POWERTOOLS_SERVICE_NAME: also the `service` dimension of the function's metrics. */
  readonly serviceName: string;
  readonly metricsNamespace: string;
  readonly environment?: Readonly<Record<string, string>>;
  readonly timeout?: Duration;
  readonly memorySize?: number;
  /** The managed policy set as permissions boundary on the function's role. */
  readonly permissionsBoundary: iam.IManagedPolicy;
  /** An access-policy file to bundle next to the code; POLICY_PATH then points at it. */
  readonly policyFile?: string;
}

/**
 * One place for the defaults every broker function shares: Node.js 24 on ARM64, an ESM
 * bundle built by the local esbuild (never Docker) with source maps, its own log group
 * with a retention, and its own role under the broker's IAM path with the permissions
 * boundary. The role starts empty: each function is granted only what it uses.
 */
export class BrokerFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly serviceName: string;

  constructor(scope: Construct, id: string, props: BrokerFunctionProps) {
    super(scope, id);
    this.serviceName = props.serviceName;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      path: BROKER_IAM_PATH,
      permissionsBoundary: props.permissionsBoundary,
      description: `Execution role of the JIT broker ${props.serviceName} function`,
    });
    // Logs go to the function's own group only (no AWSLambdaBasicExecutionRole and its log-group:*).
    this.logGroup.grantWrite(this.role);

    const policyName = props.policyFile ? `access-policy-${basename(props.policyFile)}` : undefined;

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      ...(props.functionName ? { functionName: props.functionName } : {}),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        [ENV.metricsNamespace]: props.metricsNamespace,
        ...(policyName ? { [ENV.policyPath]: `${TASK_ROOT}/${policyName}` } : {}),
        ...props.environment,
      },
      bundling: {
        format: nodejs.OutputFormat.ESM,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        sourceMap: LAMBDA_ESBUILD_OPTIONS.sourcemap,
        sourceMapMode: nodejs.SourceMapMode.DEFAULT,
        sourcesContent: LAMBDA_ESBUILD_OPTIONS.sourcesContent,
        // Maps stack traces when one is printed, instead of --enable-source-maps at every load.
        inject: LAMBDA_ESBUILD_OPTIONS.inject,
        minify: LAMBDA_ESBUILD_OPTIONS.minify,
        target: LAMBDA_ESBUILD_OPTIONS.target,
        // What a Lambda never runs stays out of the bundle (bundling.ts: Bolt's other receivers...).
        esbuildArgs: esbuildAliasArgs(),
        // Bundle the AWS SDK pinned in the lock file instead of the runtime's copy.
        bundleAwsSDK: true,
        forceDockerBundling: false,
        ...(props.policyFile && policyName
          ? { commandHooks: copyIntoBundle(props.policyFile, policyName) }
          : {}),
      },
    });
  }
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'"'"'`)}'`;
}

/**
 * Copies the policy `file` into the bundle's output directory as `name` after esbuild ran,
 * with the document synth read from it next to it (`name` + `.json`, see
 * shared/config/bundled-policy.ts): the function validates that document and reads no YAML.
 */
function copyIntoBundle(file: string, name: string): nodejs.ICommandHooks {
  const document = policyDocumentFile(file);
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir, outputDir) => [
      `cp ${shellQuote(file)} ${shellQuote(`${outputDir}/${name}`)}`,
      `cp ${shellQuote(document)} ${shellQuote(`${outputDir}/${name}${BUNDLED_POLICY_DOCUMENT_SUFFIX}`)}`,
    ],
  };
}

/** The document file of each policy text, written once per process (every function copies it). */
const policyDocuments = new Map<string, string>();

function policyDocumentFile(file: string): string {
  // Keyed by the text's hash: the document is read and validated once, not once per function.
  const key = `${file}\n${policyVersionOf(readPolicyText(file)).sha256}`;
  let document = policyDocuments.get(key);
  if (document === undefined) {
    document = join(mkdtempSync(join(tmpdir(), 'jit-policy-')), `policy${BUNDLED_POLICY_DOCUMENT_SUFFIX}`);
    writeFileSync(document, bundledPolicyDocument(file));
    policyDocuments.set(key, document);
  }
  return document;
}
