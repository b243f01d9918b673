import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fault-injecting AWS stand-in for the tests: one node:http server on 127.0.0.1 speaking
 * the IAM and STS Query protocol (form-encoded `Action=...`, XML replies) and the AWS JSON 1.0
 * protocol (`X-Amz-Target: AmazonSQS.SendMessage`), keeping the state the broker changes
 * (group members, role inline policies) so tests can assert what remains in "AWS".
 *
 * The real SDK clients reach it through the SDK's own variables (see {@link AwsStandIn.env}:
 * `AWS_ENDPOINT_URL_IAM=http://127.0.0.1:port/iam`…), never through an explicit endpoint.
 * Each service is a path prefix and a table of actions, so a JSON-protocol service
 * (sso-admin, identitystore) plugs in as one more entry of {@link SERVICES}.
 *
 * Faults are set per action (`RemoveUserFromGroup`, `AssumeRole`, `SendMessage`…):
 * - `hang`: never answered and never applied; the connection stays open until the client
 *   gives up, `ms` pass (then it is closed unanswered) or the fault is released;
 * - `slow`: applied and answered after `ms` (longer than the client's deadline: the change
 *   lands but the answer is lost, as when AWS is slow);
 * - `server-error` (500 ServiceFailure / InternalFailure), `throttle` (400 Throttling),
 *   `deny` (403 AccessDenied): answered at once, nothing applied.
 * `times` limits a fault to the next N calls of that action.
 */

/** One injected fault. */
export type Fault =
  | { readonly kind: 'hang'; readonly ms?: number; readonly times?: number }
  | { readonly kind: 'slow'; readonly ms: number; readonly times?: number }
  | { readonly kind: 'server-error' | 'throttle' | 'deny'; readonly times?: number };

/** How one call ended, seen from the stand-in. */
export type CallOutcome = 'ok' | 'error' | 'hung' | 'client-gave-up' | 'pending';

/** One recorded call. `ms` is how long the connection stayed open (reply or client close). */
export interface RecordedCall {
  readonly service: string;
  readonly action: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly fault?: Fault['kind'];
  outcome: CallOutcome;
  /** Error code answered, when one was. */
  errorCode?: string;
  ms?: number;
}

/** State the stand-in keeps: what IAM would hold. Group names and user names as sent. */
export interface StandInState {
  readonly groups: Map<string, Set<string>>;
  readonly rolePolicies: Map<string, Map<string, string>>;
  readonly sqsMessages: { queueUrl: string; body: string }[];
}

/** What an action answers: a result, or an AWS error. */
type ActionResult =
  | { readonly ok: unknown }
  | { readonly error: { code: string; message: string; status: number; type?: 'Sender' | 'Receiver' } };

type Params = Record<string, string>;
type JsonInput = Record<string, unknown>;

interface QueryService {
  readonly protocol: 'query';
  readonly xmlns: string;
  readonly actions: Record<string, (params: Params, state: StandInState) => ActionResult>;
}
interface JsonService {
  readonly protocol: 'json';
  /** The prefix of X-Amz-Target, e.g. `AmazonSQS` (then `.SendMessage`). */
  readonly targetPrefix: string;
  /** The error type namespace, e.g. `com.amazonaws.sqs`. */
  readonly errorNamespace: string;
  readonly actions: Record<string, (input: JsonInput, state: StandInState) => ActionResult>;
}
type Service = QueryService | JsonService;

const noSuchEntity = (message: string): ActionResult => ({
  error: { code: 'NoSuchEntity', message, status: 404 },
});

/** GetGroup answers this many members per page, so the client's pagination is exercised. */
export const GET_GROUP_PAGE_SIZE = 2;

const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const iam: QueryService = {
  protocol: 'query',
  xmlns: 'https://iam.amazonaws.com/doc/2010-05-08/',
  actions: {
    AddUserToGroup: (p, s) => {
      const group = s.groups.get(p.GroupName ?? '') ?? new Set<string>();
      group.add(p.UserName ?? '');
      s.groups.set(p.GroupName ?? '', group);
      return { ok: '' };
    },
    RemoveUserFromGroup: (p, s) => {
      const group = s.groups.get(p.GroupName ?? '');
      if (!group?.delete(p.UserName ?? '')) {
        return noSuchEntity(`The user with name ${p.UserName} is not in group ${p.GroupName}.`);
      }
      return { ok: '' };
    },
    GetGroup: (p, s) => {
      const name = p.GroupName ?? '';
      const members = [...(s.groups.get(name) ?? [])].sort();
      const start = Number(p.Marker ?? 0);
      const page = members.slice(start, start + GET_GROUP_PAGE_SIZE);
      const truncated = start + GET_GROUP_PAGE_SIZE < members.length;
      const users = page
        .map(
          (u) =>
            `<member><Path>/</Path><UserName>${xmlEscape(u)}</UserName><UserId>AIDA${u.length}</UserId><Arn>arn:aws:iam::111122223333:user/${xmlEscape(u)}</Arn><CreateDate>2024-01-01T00:00:00Z</CreateDate></member>`,
        )
        .join('');
      return {
        ok:
          `<Group><Path>/jit/</Path><GroupName>${xmlEscape(name)}</GroupName><GroupId>AGPA1</GroupId>` +
          `<Arn>arn:aws:iam::111122223333:group/jit/${xmlEscape(name)}</Arn><CreateDate>2024-01-01T00:00:00Z</CreateDate></Group>` +
          `<Users>${users}</Users><IsTruncated>${truncated}</IsTruncated>` +
          (truncated ? `<Marker>${start + GET_GROUP_PAGE_SIZE}</Marker>` : ''),
      };
    },
    PutRolePolicy: (p, s) => {
      const policies = s.rolePolicies.get(p.RoleName ?? '') ?? new Map<string, string>();
      policies.set(p.PolicyName ?? '', p.PolicyDocument ?? '');
      s.rolePolicies.set(p.RoleName ?? '', policies);
      return { ok: '' };
    },
    GetRolePolicy: (p, s) => {
      const doc = s.rolePolicies.get(p.RoleName ?? '')?.get(p.PolicyName ?? '');
      if (doc === undefined) return noSuchEntity(`The role policy ${p.PolicyName} cannot be found.`);
      return {
        ok:
          `<RoleName>${xmlEscape(p.RoleName ?? '')}</RoleName><PolicyName>${xmlEscape(p.PolicyName ?? '')}</PolicyName>` +
          // IAM answers the document URL-encoded (RFC 3986).
          `<PolicyDocument>${xmlEscape(encodeURIComponent(doc))}</PolicyDocument>`,
      };
    },
    DeleteRolePolicy: (p, s) => {
      if (!s.rolePolicies.get(p.RoleName ?? '')?.delete(p.PolicyName ?? '')) {
        return noSuchEntity(`The role policy ${p.PolicyName} cannot be found.`);
      }
      return { ok: '' };
    },
  },
};

const sts: QueryService = {
  protocol: 'query',
  xmlns: 'https://sts.amazonaws.com/doc/2011-06-15/',
  actions: {
    AssumeRole: (p) => {
      const expiration = new Date(Date.now() + Number(p.DurationSeconds ?? 3600) * 1000);
      const id = randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase();
      return {
        ok:
          `<Credentials><AccessKeyId>ASIA${id}</AccessKeyId><SecretAccessKey>standin-secret-${id}</SecretAccessKey>` +
          `<SessionToken>standin-token-${id}</SessionToken><Expiration>${expiration.toISOString()}</Expiration></Credentials>` +
          `<AssumedRoleUser><AssumedRoleId>AROA1:${xmlEscape(p.RoleSessionName ?? '')}</AssumedRoleId>` +
          `<Arn>${xmlEscape(p.RoleArn ?? '')}/${xmlEscape(p.RoleSessionName ?? '')}</Arn></AssumedRoleUser>` +
          (p.SourceIdentity ? `<SourceIdentity>${xmlEscape(p.SourceIdentity)}</SourceIdentity>` : ''),
      };
    },
    GetCallerIdentity: () => ({
      ok: '<Account>111122223333</Account><Arn>arn:aws:iam::111122223333:user/broker</Arn><UserId>AIDA1</UserId>',
    }),
  },
};

const sqs: JsonService = {
  protocol: 'json',
  targetPrefix: 'AmazonSQS',
  errorNamespace: 'com.amazonaws.sqs',
  actions: {
    SendMessage: (input, s) => {
      const body = String(input.MessageBody ?? '');
      s.sqsMessages.push({ queueUrl: String(input.QueueUrl ?? ''), body });
      // The client checks the MD5 of the body it sent.
      return {
        ok: { MessageId: randomUUID(), MD5OfMessageBody: createHash('md5').update(body).digest('hex') },
      };
    },
    ChangeMessageVisibility: () => ({ ok: {} }),
  },
};

/** The services the stand-in speaks, by path prefix (and `AWS_ENDPOINT_URL_<KEY>`). */
const SERVICES: Record<string, Service> = { iam, sts, sqs };

const FAULT_ERRORS = {
  'server-error': {
    code: 'ServiceFailure',
    message: 'stand-in: injected 5xx',
    status: 500,
    type: 'Receiver',
  },
  throttle: { code: 'Throttling', message: 'stand-in: Rate exceeded', status: 400, type: 'Sender' },
  deny: { code: 'AccessDenied', message: 'stand-in: injected AccessDenied', status: 403, type: 'Sender' },
} as const;

export interface AwsStandIn {
  readonly url: string;
  /** The SDK variables that point every client at the stand-in, plus static test credentials. */
  readonly env: Readonly<Record<string, string>>;
  readonly state: StandInState;
  readonly calls: RecordedCall[];
  /** Sets a fault on an action (replacing any earlier one on it). */
  fault(action: string, fault: Fault): void;
  /** Removes the faults (all, or one action's) and closes the calls still hanging. */
  clearFaults(action?: string): void;
  /** Calls of one action (all services). */
  callsOf(action: string): RecordedCall[];
  /** Whether `user` is in `group` (IAM user names are case-insensitive). */
  isMember(group: string, user: string): boolean;
  close(): Promise<void>;
}

/** Starts a stand-in on 127.0.0.1 and a free port. */
export async function startAwsStandIn(): Promise<AwsStandIn> {
  const state: StandInState = { groups: new Map(), rolePolicies: new Map(), sqsMessages: [] };
  const calls: RecordedCall[] = [];
  const faults = new Map<string, { fault: Fault; left: number }>();
  const hanging = new Set<() => void>();

  const takeFault = (action: string): Fault | undefined => {
    const entry = faults.get(action);
    if (!entry) return undefined;
    if (--entry.left <= 0) faults.delete(action);
    return entry.fault;
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });

  function handle(req: IncomingMessage, res: ServerResponse, body: string) {
    const started = Date.now();
    const key = (req.url ?? '/').split('/')[1]?.split('?')[0] ?? '';
    const service = SERVICES[key];
    if (!service) {
      res.writeHead(404).end(`stand-in: no service at /${key}`);
      return;
    }
    let action: string;
    let params: Params | JsonInput;
    if (service.protocol === 'query') {
      const form = Object.fromEntries(new URLSearchParams(body));
      action = form.Action ?? '';
      params = form;
    } else {
      const target = String(req.headers['x-amz-target'] ?? '');
      action = target.startsWith(`${service.targetPrefix}.`)
        ? target.slice(service.targetPrefix.length + 1)
        : '';
      params = (body ? JSON.parse(body) : {}) as JsonInput;
    }
    const fault = takeFault(action);
    const call: RecordedCall = {
      service: key,
      action,
      params,
      outcome: 'pending',
      ...(fault ? { fault: fault.kind } : {}),
    };
    calls.push(call);
    const finish = (outcome: CallOutcome) => {
      if (call.outcome !== 'pending') return;
      call.outcome = outcome;
      call.ms = Date.now() - started;
    };
    res.on('close', () => finish(res.writableFinished ? call.outcome : 'client-gave-up'));

    const answer = () => {
      const run = service.actions[action];
      const result: ActionResult = run
        ? service.protocol === 'query'
          ? (run as QueryService['actions'][string])(params as Params, state)
          : (run as JsonService['actions'][string])(params as JsonInput, state)
        : { error: { code: 'InvalidAction', message: `stand-in: ${action} is not spoken`, status: 400 } };
      reply(service, action, res, result, call);
      finish('error' in result ? 'error' : 'ok');
    };

    if (!fault) return answer();
    if (fault.kind === 'hang') {
      const stop = () => {
        hanging.delete(stop);
        clearTimeout(timer);
        finish('hung');
        res.destroy();
      };
      const timer = fault.ms === undefined ? undefined : setTimeout(stop, fault.ms);
      hanging.add(stop);
      return;
    }
    if (fault.kind === 'slow') {
      setTimeout(answer, fault.ms);
      return;
    }
    reply(service, action, res, { error: FAULT_ERRORS[fault.kind] }, call);
    finish('error');
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    env: {
      AWS_ENDPOINT_URL_IAM: `${url}/iam`,
      AWS_ENDPOINT_URL_STS: `${url}/sts`,
      AWS_ENDPOINT_URL_SQS: `${url}/sqs`,
      AWS_ACCESS_KEY_ID: 'AKIASTANDINTEST',
      AWS_SECRET_ACCESS_KEY: 'stand-in-test-secret',
      AWS_REGION: 'us-east-1',
    },
    state,
    calls,
    fault(action, fault) {
      faults.set(action, { fault, left: fault.times ?? Number.POSITIVE_INFINITY });
    },
    clearFaults(action) {
      if (action === undefined) faults.clear();
      else faults.delete(action);
      for (const stop of [...hanging]) stop();
    },
    callsOf: (action) => calls.filter((c) => c.action === action),
    isMember: (group, user) =>
      [...(state.groups.get(group) ?? [])].some((u) => u.toLowerCase() === user.toLowerCase()),
    async close() {
      for (const stop of [...hanging]) stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function reply(
  service: Service,
  action: string,
  res: ServerResponse,
  result: ActionResult,
  call: RecordedCall,
) {
  const requestId = randomUUID();
  if (service.protocol === 'query') {
    if ('error' in result) {
      call.errorCode = result.error.code;
      res
        .writeHead(result.error.status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId })
        .end(
          `<ErrorResponse xmlns="${service.xmlns}"><Error><Type>${result.error.type ?? 'Sender'}</Type>` +
            `<Code>${result.error.code}</Code><Message>${xmlEscape(result.error.message)}</Message></Error>` +
            `<RequestId>${requestId}</RequestId></ErrorResponse>`,
        );
      return;
    }
    res
      .writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId })
      .end(
        `<${action}Response xmlns="${service.xmlns}"><${action}Result>${String(result.ok)}</${action}Result>` +
          `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
      );
    return;
  }
  const headers = { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId };
  if ('error' in result) {
    call.errorCode = result.error.code;
    res
      .writeHead(result.error.status, {
        ...headers,
        // Query-compatible JSON services (SQS) also name the error the old way.
        'x-amzn-query-error': `${result.error.code};${result.error.type ?? 'Sender'}`,
      })
      .end(
        JSON.stringify({
          __type: `${service.errorNamespace}#${result.error.code}`,
          message: result.error.message,
        }),
      );
    return;
  }
  res.writeHead(200, headers).end(JSON.stringify(result.ok));
}
