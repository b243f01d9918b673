import type { Context } from 'aws-lambda';
import { SandboxAws } from '../../shared/adapters/sandbox/sandbox-aws.js';
import { signRequest, type KnownKey } from '../../shared/adapters/aws/sigv4.js';
import type { AccessPolicy } from '../../shared/domain/policy.js';
import type { Clock, GrantQueue, PersonDirectory } from '../../shared/domain/ports.js';
import type { TicketSystems } from '../../shared/domain/tickets.js';
import type { RequestDeps } from '../../shared/usecases/deps.js';
import { apiCallerDirectory } from '../../functions/request-api/caller-directory.js';
import { createRequestApiHandler } from '../../functions/request-api/handler.js';
import type { RequestApiDeps } from '../../functions/request-api/routes.js';
import { localRequestApi, type LocalHttpResponse } from '../../functions/local/request-api-gate.js';
import { RecordingPublisher, SequentialIds, silentLogger } from './fakes.js';
import type { LocalTables } from './local-dynamo.js';

/** Test callers: access keys the stand-in verifier knows, by name. */
export const API_KEYS = {
  dev: { id: 'TESTKEYDEV0000000001', secret: 'dev-secret', arn: 'arn:aws:iam::111122223333:user/dev-one' },
  lead: { id: 'TESTKEYLEAD000000001', secret: 'lead-secret', arn: 'arn:aws:iam::111122223333:user/lead-one' },
  lead2: {
    id: 'TESTKEYLEAD000000002',
    secret: 'lead2-secret',
    arn: 'arn:aws:iam::111122223333:user/lead-two',
  },
  security: {
    id: 'TESTKEYSECURITY00001',
    secret: 'security-secret',
    arn: 'arn:aws:iam::111122223333:user/security-one',
  },
  dba: { id: 'TESTKEYDBA0000000001', secret: 'dba-secret', arn: 'arn:aws:iam::111122223333:user/dba-one' },
  /** An Identity Center session (a role listed in `api.emailSessionRoles` where a test says so). */
  ssoAnn: {
    id: 'TESTKEYSSOANN0000001',
    secret: 'sso-ann-secret',
    arn: 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Dev_0123456789abcdef/Ann.Lee@Example.com',
  },
  /** The same session name on a role not listed: the name is whatever its assumer chose. */
  otherRoleAnn: {
    id: 'TESTKEYOTHERANN00001',
    secret: 'other-ann-secret',
    arn: 'arn:aws:sts::111122223333:assumed-role/ci-deployer/ann.lee@example.com',
  },
  stranger: {
    id: 'TESTKEYSTRANGER00001',
    secret: 'x-secret',
    arn: 'arn:aws:iam::111122223333:user/stranger',
  },
} as const;
export type ApiCallerName = keyof typeof API_KEYS;

export const KNOWN_KEYS: Record<string, KnownKey> = Object.fromEntries(
  Object.values(API_KEYS).map((k) => [k.id, { secretAccessKey: k.secret, principalArn: k.arn }]),
);

/** A Slack-like directory (emails, user groups) for the persons the API maps callers to. */
export function fakeSlackDirectory(
  emails: Record<string, string>,
  groups: Record<string, string[]>,
): PersonDirectory {
  return {
    providers: ['slack'],
    emailOf: (person) => Promise.resolve(emails[person.id]),
    groupsOf: (person, wanted) =>
      Promise.resolve(wanted.filter((g) => (groups[g] ?? []).includes(person.id))),
  };
}

/** The request API over DynamoDB Local, the AWS sandbox and recording fakes, behind the SigV4 gate. */
export function requestApiOver(options: {
  readonly db: LocalTables;
  readonly policy: AccessPolicy;
  readonly clock: Clock;
  readonly queue: GrantQueue;
  readonly slackDirectory?: PersonDirectory;
  /** The ticket systems a target's `ticket:` check asks (none: such a check is unreachable). */
  readonly tickets?: TicketSystems;
}) {
  const policy = { current: () => options.policy };
  const events = new RecordingPublisher();
  const sandbox = new SandboxAws(options.clock);
  const requests: RequestDeps = {
    store: options.db.requests,
    audit: options.db.audit,
    policy,
    clock: options.clock,
    ids: new SequentialIds(),
    events,
    queue: options.queue,
    logger: silentLogger,
    ...(options.tickets === undefined ? {} : { tickets: options.tickets }),
  };
  const api: RequestApiDeps = {
    requests,
    people: { policy, directory: apiCallerDirectory(policy, options.slackDirectory) },
    grants: {
      store: requests.store,
      audit: requests.audit,
      policy,
      clock: options.clock,
      events,
      logger: silentLogger,
      targets: sandbox.targetDrivers(),
      consoleLinks: sandbox.consoleLinks,
      metrics: { count: () => undefined },
      repairs: { restore: () => Promise.resolve() },
    },
  };
  const logged: { level: string; message: string; fields: unknown }[] = [];
  const record = (level: string) => (message: string, fields?: unknown) =>
    void logged.push({ level, message, fields });
  const handler = createRequestApiHandler({
    api,
    logger: { info: record('info'), warn: record('warn'), error: record('error') } as never,
  });
  const gate = localRequestApi({
    handler,
    keys: KNOWN_KEYS,
    // Signatures are checked against the wall clock (the signer's); use cases use the test clock.
    clock: { now: () => new Date() },
    context: () => ({}) as Context,
    prefix: '/api',
  });
  return { api, requests, sandbox, events, logged, gate };
}

/** Signs a request as `who` (unless `unsigned`) and sends it through the gate. */
export async function callApi(
  gate: (request: {
    method: string;
    url: URL;
    headers: Record<string, string>;
    body: string;
  }) => Promise<LocalHttpResponse>,
  who: ApiCallerName | undefined,
  method: string,
  path: string,
  body?: unknown,
  tamper?: (signed: { headers: Record<string, string>; body: string }) => void,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = new URL(`http://127.0.0.1:1/api${path}`);
  const text = body === undefined ? '' : JSON.stringify(body);
  let headers: Record<string, string> = { 'content-type': 'application/json' };
  if (who !== undefined) {
    const key = API_KEYS[who];
    const signed = await signRequest(
      { method, url, headers, ...(text ? { body: text } : {}) },
      { region: 'us-east-1', credentials: { accessKeyId: key.id, secretAccessKey: key.secret } },
    );
    headers = Object.fromEntries(Object.entries(signed).map(([k, v]) => [k.toLowerCase(), v]));
  }
  const sent = { headers, body: text };
  tamper?.(sent);
  const response = await gate({ method, url, headers: sent.headers, body: sent.body });
  return { status: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> };
}
