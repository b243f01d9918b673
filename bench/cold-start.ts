/**
 * A cold start end to end, as Lambda has one (part of `npm run bench:slack`, not a test): a
 * fresh node process imports the bundle as deployed (infra/bundling.ts), then answers its first
 * request, a signed slash command. Module load alone leaves out what the first request does
 * on a cold container, and the two apps split that work differently: the minimal Bolt app
 * builds its App at load (which starts Bolt's auth.test there), the Slack function on its
 * first request (its token is in Secrets Manager). Load plus first answer is the time Slack
 * waits.
 *
 * The Slack function runs with the stack's environment: its tables on DynamoDB Local, the
 * example policy bundled as the stack bundles it, its secret read from a stand-in Secrets
 * Manager, the Organizations and Identity Center stand-in, a stand-in Slack Web API. Every
 * round trip is on this machine, so the figures are CPU and local I/O; the calls each cold start
 * made are printed (DynamoDB's through a recording pass-through), as each one adds a network
 * round trip in AWS.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { LAMBDA_ESBUILD_OPTIONS } from '../infra/bundling.js';
import { LOCAL_REGION } from '../shared/adapters/dynamodb/local-server.js';
import { prepareLocalTables } from '../shared/adapters/dynamodb/local-setup.js';
import { COMMANDS } from '../shared/adapters/slack/ids.js';
import { ENV } from '../shared/config/env.js';
import { bundledPolicyDocument } from '../shared/config/bundled-policy-writer.js';
import { BUNDLED_POLICY_DOCUMENT_SUFFIX } from '../shared/config/bundled-policy.js';
import { startAwsStandIn } from '../test/support/aws-stand-in.js';
import {
  commandBody,
  signedEvent,
  SlackStandIn,
  TEST_BOT_TOKEN,
  TEST_SIGNING_SECRET,
} from '../test/support/slack.js';

/** The minimal app's signing secret (bench/minimal-bolt-app.ts reads SLACK_SIGNING_SECRET). */
const MINIMAL_SIGNING_SECRET = 'bench-minimal-signing-secret';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:jit-slack-AbCdEf';
/** A developer of policy/example.yaml, who may ask for its targets. */
const REQUESTER = 'U0DEV00001';

/** What one cold start measured, in ms. */
interface ColdStart {
  readonly load: number;
  readonly first: number;
  readonly cpuLoad: number;
  readonly cpuTotal: number;
}

/**
 * The child: imports the bundle, then calls its handler once with the event, timing both.
 * Lambda's Node runtime imports an ES module handler the same way, and gives it a context.
 */
const CHILD = `
const context = {
  functionName: 'jit-cold', functionVersion: '$LATEST', memoryLimitInMB: '1024',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:jit-cold',
  awsRequestId: 'cold-start', logGroupName: '/aws/lambda/jit-cold', logStreamName: 'cold',
  callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => 10000,
};
const c0 = process.cpuUsage();
const t0 = performance.now();
const m = await import(process.argv[1]);
const t1 = performance.now();
const c1 = process.cpuUsage(c0);
const response = await m.handler(JSON.parse(process.env.COLD_EVENT), context);
const t2 = performance.now();
const c2 = process.cpuUsage(c0);
if (response?.statusCode !== 200) throw new Error('answered ' + JSON.stringify(response));
const ms = (u) => (u.user + u.system) / 1000;
process.stdout.write('\\nCOLD ' + JSON.stringify({ load: t1 - t0, first: t2 - t1, cpuLoad: ms(c1), cpuTotal: ms(c2) }) + '\\n');
process.exit(0);
`;

/** `--profile=DIR`: each cold start also writes a V8 CPU profile there, one folder per bundle. */
const PROFILE_DIR = process.argv.find((a) => a.startsWith('--profile='))?.split('=')[1];

/** Not execFileSync: the stand-ins answering the child run in this process's event loop. */
async function coldStartOnce(
  bundle: string,
  env: Readonly<Record<string, string>>,
  event: unknown,
): Promise<ColdStart> {
  const { stdout: out } = await promisify(execFile)(
    process.execPath,
    [
      ...(PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', join(PROFILE_DIR, basename(bundle, '.mjs'))] : []),
      '--input-type=module',
      '-e',
      CHILD,
      pathToFileURL(bundle).href,
    ],
    { env: { PATH: process.env.PATH ?? '', ...env, COLD_EVENT: JSON.stringify(event) }, encoding: 'utf8' },
  );
  const line = out.split('\n').find((l) => l.startsWith('COLD '));
  if (!line) throw new Error(`no figures from ${bundle}:\n${out}`);
  return JSON.parse(line.slice('COLD '.length)) as ColdStart;
}

/** The middle sample (the upper one of an even count). */
export const median = (xs: readonly number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/**
 * A pass-through to DynamoDB Local that records each call's operation (DynamoDB Local keeps no
 * such record): the apps reach it through AWS_ENDPOINT_URL_DYNAMODB.
 */
async function recordingDynamoProxy(
  endpoint: string,
): Promise<{ url: string; calls: string[]; server: Server }> {
  const upstream = new URL(endpoint);
  const calls: string[] = [];
  const server = createServer((req, res) => {
    calls.push(String(req.headers['x-amz-target'] ?? '').replace(/^DynamoDB_\d+\./, ''));
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, server };
}

/** Counts of `names`, as `name ×n`, in first-seen order. */
function tally(names: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts].map(([name, n]) => (n === 1 ? name : `${name} ×${n}`)).join(', ') || 'none';
}

/** One app of the comparison, and what its cold starts measured. */
interface ColdApp {
  readonly name: string;
  readonly bundle: string;
  /** The process's whole environment, but PATH (Lambda's is no richer). */
  readonly env: Readonly<Record<string, string>>;
  /** Its first request, signed when sent. */
  readonly event: () => unknown;
  readonly runs: ColdStart[];
  readonly slackCalls: string[];
  readonly awsCalls: string[];
  readonly dynamoCalls: string[];
}

/** Measures `rounds` cold starts of the Slack function and of the minimal Bolt app, round robin. */
export async function measureColdStarts(rounds: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'jit-cold-'));
  const dynamo = await prepareLocalTables({ tablePrefix: 'cold-' });
  const slack = await new SlackStandIn().start();
  const aws = await startAwsStandIn();
  const dynamoCalls = await recordingDynamoProxy(dynamo.endpoint);
  try {
    const tables = dynamo.names;
    // The policy as the stack bundles it: the file, and the document synth read from it.
    const policyPath = join(dir, 'access-policy-example.yaml');
    copyFileSync('policy/example.yaml', policyPath);
    writeFileSync(`${policyPath}${BUNDLED_POLICY_DOCUMENT_SUFFIX}`, bundledPolicyDocument(policyPath));
    aws.state.secrets.set(
      SECRET_ARN,
      JSON.stringify({ signingSecret: TEST_SIGNING_SECRET, botToken: TEST_BOT_TOKEN }),
    );
    slack.emails.set(REQUESTER, 'dev.one@example.com');

    const bundle = async (entry: string) => {
      const outfile = join(PROFILE_DIR ?? dir, `${entry.replaceAll('/', '_')}.mjs`);
      await build({
        ...LAMBDA_ESBUILD_OPTIONS,
        // Unminified when profiled, so that a profile names the code it spent time in.
        ...(PROFILE_DIR ? { minify: false } : {}),
        entryPoints: [entry],
        outfile,
        logLevel: 'error',
      });
      return outfile;
    };
    const slackApiUrl = slack.url;
    const apps: ColdApp[] = [
      {
        name: `minimal Bolt app (/hello: auth.test, ack)`,
        bundle: await bundle('bench/minimal-bolt-app.ts'),
        env: {
          AWS_REGION: LOCAL_REGION,
          SLACK_SIGNING_SECRET: MINIMAL_SIGNING_SECRET,
          SLACK_API_URL: slackApiUrl,
        },
        event: () => signedEvent(commandBody('/hello', REQUESTER), { secret: MINIMAL_SIGNING_SECRET }),
        runs: [],
        slackCalls: [],
        awsCalls: [],
        dynamoCalls: [],
      },
      {
        name: `slack function (${COMMANDS.requestAccess}: the request modal)`,
        bundle: await bundle('functions/slack/handler.ts'),
        env: {
          ...aws.env,
          AWS_ENDPOINT_URL_DYNAMODB: dynamoCalls.url,
          POWERTOOLS_SERVICE_NAME: 'jit-slack',
          POWERTOOLS_METRICS_NAMESPACE: 'jit-cold',
          [ENV.requestsTable]: tables.requests,
          [ENV.auditTable]: tables.audit,
          [ENV.policyPath]: policyPath,
          [ENV.slackSecretArn]: SECRET_ARN,
          [ENV.slackApiUrl]: slackApiUrl,
          [ENV.grantQueueUrl]: `${aws.url}/sqs/000000000000/jit-grants`,
        },
        event: () => signedEvent(commandBody(COMMANDS.requestAccess, REQUESTER)),
        runs: [],
        slackCalls: [],
        awsCalls: [],
        dynamoCalls: [],
      },
    ];

    // Round robin, as the module-load part: a busy spell weighs on both alike.
    for (let round = 0; round < rounds; round++)
      for (const app of apps) {
        const slackSeen = slack.calls.length;
        const awsSeen = aws.calls.length;
        const dynamoSeen = dynamoCalls.calls.length;
        app.runs.push(await coldStartOnce(app.bundle, app.env, app.event()));
        if (round === 0) {
          app.slackCalls.push(...slack.calls.slice(slackSeen).map((c) => c.method));
          app.awsCalls.push(...aws.calls.slice(awsSeen).map((c) => c.action));
          app.dynamoCalls.push(...dynamoCalls.calls.slice(dynamoSeen));
        }
      }

    console.log(
      `\ncold start = a fresh node process imports the bundle, then answers its first request (a signed slash command); ${rounds} rounds, p50:`,
    );
    for (const app of apps) {
      const load = median(app.runs.map((r) => r.load));
      const first = median(app.runs.map((r) => r.first));
      const total = median(app.runs.map((r) => r.load + r.first));
      console.log(
        `  ${app.name}\n    load ${load.toFixed(1)} ms + first answer ${first.toFixed(1)} ms = ${total.toFixed(1)} ms; ` +
          `CPU ${median(app.runs.map((r) => r.cpuLoad)).toFixed(1)} + ${median(app.runs.map((r) => r.cpuTotal - r.cpuLoad)).toFixed(1)} ms` +
          `\n    the cold start called Slack: ${tally(app.slackCalls)}; AWS (stand-in): ${tally(app.awsCalls)}; DynamoDB: ${tally(app.dynamoCalls)}`,
      );
    }
    const [minimal, function_] = apps.map((app) => median(app.runs.map((r) => r.load + r.first)));
    if (minimal && function_)
      console.log(
        `slack function vs minimal Bolt app, load + first answer: ${(function_ / minimal).toFixed(2)}x`,
      );
  } finally {
    await new Promise<void>((resolve) => dynamoCalls.server.close(() => resolve()));
    await aws.close();
    await slack.stop();
    await dynamo.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
