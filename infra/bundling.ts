/**
 * How every Lambda function is bundled: one definition for the CDK stack (NodejsFunction) and
 * for the benchmarks that measure the bundles, so a figure printed by `npm run bench:slack` is
 * the figure of what is deployed.
 */

/** The ESM bundle still loads some CommonJS dependencies that call `require`. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __brokerCreateRequire } from 'node:module'; const require = __brokerCreateRequire(import.meta.url);";

/** The stub that replaces {@link NOT_IN_LAMBDA} (relative to the project root, as esbuild wants). */
export const NOT_IN_LAMBDA_STUB = './infra/lambda-stubs/not-in-lambda.cjs';

/**
 * Modules Bolt loads at start-up for what a Lambda never runs: Express (ExpressReceiver),
 * Socket Mode (SocketModeReceiver, with undici and ws), raw-body (the HTTP receivers' body
 * reader, with iconv-lite) and @slack/oauth (multi-workspace installs, with jsonwebtoken and
 * semver; the broker serves one workspace with a bot token). The functions use only the AWS
 * Lambda receiver, so these are replaced by a stub that throws if ever called: the Slack bundle
 * drops from 2.7 MB to under 1.2 MB and its cold start parses far less code. The local runner
 * and Socket Mode keep the real modules (they are not bundled).
 */
export const NOT_IN_LAMBDA = ['express', '@slack/socket-mode', 'raw-body', '@slack/oauth'] as const;

/**
 * What the SDK clients' default credential chain becomes in the Lambda bundles: the
 * environment only, where Lambda puts the function role's credentials. The full chain
 * (profiles, SSO, web identity, process, instance metadata) brings the STS, SSO and sign-in
 * clients with it, about 110 KiB that no function uses; a bundler cannot tell, so an alias is
 * the way to leave them out (discussed in aws/aws-sdk-js-v3#6087).
 */
export const LAMBDA_CREDENTIALS = './infra/lambda-stubs/lambda-credentials.mjs';

/** Every module the Lambda bundles replace, with what stands in for it. */
export const LAMBDA_ALIASES: Readonly<Record<string, string>> = {
  ...Object.fromEntries(NOT_IN_LAMBDA.map((name) => [name, NOT_IN_LAMBDA_STUB])),
  '@aws-sdk/credential-provider-node': LAMBDA_CREDENTIALS,
};

/**
 * Injected at the top of every bundle: maps stack traces through the bundle's source map when
 * a stack is first formatted, so that logs name the TypeScript sources. It replaces Node's
 * `--enable-source-maps`, which reads and parses the whole map while the bundle loads, at every
 * cold start (about 35 ms of CPU for the Slack function, 2026-12-01).
 */
export const LAMBDA_STACK_TRACES = './infra/lambda-stubs/stack-traces.mjs';

/** Injected into every bundle: zod parses without compiling a parser per shape (see the file for why). */
export const LAMBDA_ZOD_JITLESS = './infra/lambda-stubs/zod-jitless.mjs';

/**
 * The esbuild options shared by the stack and the benchmarks (esbuild's JS API names).
 *
 * The source map leaves out the sources' text (`sourcesContent`): stack traces need only the
 * mappings, and the text was two thirds of the map (the Slack function's went from 3.3 MB to
 * 1.1 MB). With `--enable-source-maps` that cut its module load from about 237 to 197 ms; the
 * lazy mapping ({@link LAMBDA_STACK_TRACES}) leaves the map unread until an error is printed.
 */
export const LAMBDA_ESBUILD_OPTIONS: {
  bundle: true;
  minify: boolean;
  sourcemap: true;
  sourcesContent: false;
  inject: string[];
  platform: 'node';
  format: 'esm';
  target: string;
  mainFields: string[];
  banner: { js: string };
  alias: Record<string, string>;
} = {
  bundle: true,
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  inject: [LAMBDA_STACK_TRACES, LAMBDA_ZOD_JITLESS],
  platform: 'node',
  format: 'esm',
  target: 'node24',
  mainFields: ['module', 'main'],
  banner: { js: ESM_REQUIRE_BANNER },
  alias: { ...LAMBDA_ALIASES },
};

/** The same aliases as esbuild command-line arguments, for NodejsFunction's `esbuildArgs`. */
export function esbuildAliasArgs(): Record<string, string> {
  return Object.fromEntries(Object.entries(LAMBDA_ALIASES).map(([name, stub]) => [`--alias:${name}`, stub]));
}
