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
 * Each service is a path prefix and a table of actions, so a JSON-protocol service plugs in
 * as one more entry of {@link SERVICES}: Secrets Manager (GetSecretValue) is one; sso-admin,
 * identitystore and organizations are, with asynchronous operations (IN_PROGRESS for N status
 * polls, then SUCCEEDED or FAILED: see {@link IdentityCenterState.plans}).
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
  /** Identity Center (sso-admin, identitystore, organizations): see {@link IdentityCenterState}. */
  readonly sso: IdentityCenterState;
  /** Secrets Manager: each secret's string by its ARN (GetSecretValue also accepts its name). */
  readonly secrets: Map<string, string>;
}

/** How the next asynchronous Identity Center operations of one action end. */
export interface AsyncPlan {
  /** Describe calls answered IN_PROGRESS before the outcome (0: the start answers it at once). */
  readonly polls: number;
  readonly outcome?: 'SUCCEEDED' | 'FAILED';
  readonly failureReason?: string;
}

/** One asynchronous operation (an assignment created or deleted, a permission set provisioned). */
interface SsoOperation {
  readonly key: string;
  readonly kind: 'create' | 'delete' | 'provision';
  left: number;
  status: 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED';
  readonly outcome: 'SUCCEEDED' | 'FAILED';
  readonly failureReason?: string;
}

/** What Identity Center, its identity store and the Organization hold in the stand-in. */
export interface IdentityCenterState {
  /** Assignments as `instanceArn|permissionSetArn|accountId|userId`. */
  readonly assignments: Set<string>;
  /** Permission sets by ARN. */
  readonly permissionSets: Map<string, { name: string; sessionDuration: string }>;
  /** Inline policies by permission set ARN. */
  readonly inlinePolicies: Map<string, string>;
  /** Users of every identity store. */
  readonly users: { userId: string; userName: string; email: string }[];
  /** Identity Store groups by GroupId: display name and members (UserId → MembershipId). */
  readonly groups: Map<string, { displayName: string; members: Map<string, string> }>;
  /** OUs: their accounts and child OUs. */
  readonly ous: Map<string, { accounts: string[]; children: string[] }>;
  /** Account names by id. */
  readonly accounts: Map<string, string>;
  /** How the operations of each start action (`CreateAccountAssignment`...) run; default 0 polls, SUCCEEDED. */
  readonly plans: Map<string, AsyncPlan>;
  readonly operations: Map<string, SsoOperation>;
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

/** The key of an assignment in {@link IdentityCenterState.assignments}. */
export function assignmentKey(
  instanceArn: string,
  permissionSetArn: string,
  accountId: string,
  userId: string,
) {
  return `${instanceArn}|${permissionSetArn}|${accountId}|${userId}`;
}

/** An error answer of a JSON-protocol service (its `__type` names the service and the code). */
const jsonError = (code: string, message: string, status = 400): ActionResult => ({
  error: { code, message, status },
});

function assignmentKeyOf(input: JsonInput): string {
  return assignmentKey(
    String(input.InstanceArn),
    String(input.PermissionSetArn),
    String(input.TargetId),
    String(input.PrincipalId),
  );
}

/** Settles an operation whose polls are used up: its effect lands (when it succeeds). */
function settle(op: SsoOperation, s: StandInState): void {
  if (op.status !== 'IN_PROGRESS' || op.left > 0) return;
  op.status = op.outcome;
  if (op.outcome !== 'SUCCEEDED') return;
  if (op.kind === 'create') s.sso.assignments.add(op.key);
  if (op.kind === 'delete') s.sso.assignments.delete(op.key);
}

/** Starts an operation (or answers the one still running on the same key). */
function startOperation(action: string, kind: SsoOperation['kind'], key: string, s: StandInState) {
  for (const [id, op] of s.sso.operations) {
    if (op.key === key && op.kind === kind && op.status === 'IN_PROGRESS') return { id, op };
  }
  const plan = s.sso.plans.get(action) ?? { polls: 0 };
  const op: SsoOperation = {
    key,
    kind,
    left: plan.polls,
    status: 'IN_PROGRESS',
    outcome: plan.outcome ?? 'SUCCEEDED',
    ...(plan.failureReason === undefined ? {} : { failureReason: plan.failureReason }),
  };
  const id = randomUUID();
  s.sso.operations.set(id, op);
  settle(op, s);
  return { id, op };
}

function statusOf(id: string, op: SsoOperation): Record<string, unknown> {
  return {
    RequestId: id,
    Status: op.status,
    ...(op.status === 'FAILED' ? { FailureReason: op.failureReason ?? 'stand-in: failed' } : {}),
  };
}

/** Reads an operation's status: one poll (IN_PROGRESS until its polls are used up). */
function pollOperation(id: string, s: StandInState): ActionResult {
  const op = s.sso.operations.get(id);
  if (!op) return jsonError('ResourceNotFoundException', `stand-in: no request ${id}`);
  if (op.status === 'IN_PROGRESS') {
    op.left -= 1;
    settle(op, s);
  }
  return { ok: statusOf(id, op) };
}

const ssoAdmin: JsonService = {
  protocol: 'json',
  targetPrefix: 'SWBExternalService',
  errorNamespace: 'com.amazonaws.swbexternalservice',
  actions: {
    CreateAccountAssignment: (input, s) => {
      const key = assignmentKeyOf(input);
      if (!s.sso.permissionSets.has(String(input.PermissionSetArn))) {
        return jsonError('ResourceNotFoundException', 'stand-in: no such permission set', 404);
      }
      const { id, op } = startOperation('CreateAccountAssignment', 'create', key, s);
      return { ok: { AccountAssignmentCreationStatus: statusOf(id, op) } };
    },
    DescribeAccountAssignmentCreationStatus: (input, s) => {
      const polled = pollOperation(String(input.AccountAssignmentCreationRequestId), s);
      return 'ok' in polled ? { ok: { AccountAssignmentCreationStatus: polled.ok } } : polled;
    },
    DeleteAccountAssignment: (input, s) => {
      const key = assignmentKeyOf(input);
      // A call on an assignment still being created is one more poll of that creation (time
      // passes in the stand-in only through calls), then a conflict while it still runs.
      const creating = [...s.sso.operations.values()].find(
        (op) => op.key === key && op.kind === 'create' && op.status === 'IN_PROGRESS',
      );
      if (creating) {
        creating.left -= 1;
        settle(creating, s);
        if (creating.status === 'IN_PROGRESS') {
          return jsonError('ConflictException', 'stand-in: the assignment is being created');
        }
      }
      const deleting = [...s.sso.operations.values()].some(
        (op) => op.key === key && op.kind === 'delete' && op.status === 'IN_PROGRESS',
      );
      if (!deleting && !s.sso.assignments.has(key)) {
        return jsonError('ResourceNotFoundException', 'stand-in: no such assignment', 404);
      }
      const { id, op } = startOperation('DeleteAccountAssignment', 'delete', key, s);
      return { ok: { AccountAssignmentDeletionStatus: statusOf(id, op) } };
    },
    DescribeAccountAssignmentDeletionStatus: (input, s) => {
      const polled = pollOperation(String(input.AccountAssignmentDeletionRequestId), s);
      return 'ok' in polled ? { ok: { AccountAssignmentDeletionStatus: polled.ok } } : polled;
    },
    ProvisionPermissionSet: (input, s) => {
      const key = `${String(input.PermissionSetArn)}|${String(input.TargetId)}`;
      const { id, op } = startOperation('ProvisionPermissionSet', 'provision', key, s);
      return { ok: { PermissionSetProvisioningStatus: statusOf(id, op) } };
    },
    DescribePermissionSetProvisioningStatus: (input, s) => {
      const polled = pollOperation(String(input.ProvisionPermissionSetRequestId), s);
      return 'ok' in polled ? { ok: { PermissionSetProvisioningStatus: polled.ok } } : polled;
    },
    DescribePermissionSet: (input, s) => {
      const arn = String(input.PermissionSetArn);
      const set = s.sso.permissionSets.get(arn);
      if (!set) return jsonError('ResourceNotFoundException', 'stand-in: no such permission set', 404);
      return {
        ok: {
          PermissionSet: { PermissionSetArn: arn, Name: set.name, SessionDuration: set.sessionDuration },
        },
      };
    },
    ListPermissionSets: (_input, s) => ({ ok: { PermissionSets: [...s.sso.permissionSets.keys()] } }),
    GetInlinePolicyForPermissionSet: (input, s) => ({
      ok: { InlinePolicy: s.sso.inlinePolicies.get(String(input.PermissionSetArn)) ?? '' },
    }),
    PutInlinePolicyToPermissionSet: (input, s) => {
      s.sso.inlinePolicies.set(String(input.PermissionSetArn), String(input.InlinePolicy));
      return { ok: {} };
    },
    DeleteInlinePolicyFromPermissionSet: (input, s) => {
      s.sso.inlinePolicies.delete(String(input.PermissionSetArn));
      return { ok: {} };
    },
  },
};

/** The UserId of an Identity Store `MemberId` union. */
const memberUserId = (input: JsonInput): string =>
  String((input.MemberId as { UserId?: unknown } | undefined)?.UserId ?? '');

const identitystore: JsonService = {
  protocol: 'json',
  targetPrefix: 'AWSIdentityStore',
  errorNamespace: 'com.amazonaws.identitystore',
  actions: {
    GetUserId: (input, s) => {
      const unique = (
        input.AlternateIdentifier as {
          UniqueAttribute?: { AttributePath?: string; AttributeValue?: unknown };
        }
      )?.UniqueAttribute;
      const value = String(unique?.AttributeValue ?? '').toLowerCase();
      const user = s.sso.users.find((u) =>
        unique?.AttributePath === 'emails.value'
          ? u.email.toLowerCase() === value
          : u.userName.toLowerCase() === value,
      );
      if (!user) return jsonError('ResourceNotFoundException', 'stand-in: no such user', 404);
      return { ok: { UserId: user.userId, IdentityStoreId: String(input.IdentityStoreId) } };
    },
    GetGroupId: (input, s) => {
      const unique = (input.AlternateIdentifier as { UniqueAttribute?: { AttributeValue?: unknown } })
        ?.UniqueAttribute;
      const found = [...s.sso.groups].find(([, g]) => g.displayName === String(unique?.AttributeValue));
      if (!found) return jsonError('ResourceNotFoundException', 'stand-in: no such group', 404);
      return { ok: { GroupId: found[0], IdentityStoreId: String(input.IdentityStoreId) } };
    },
    CreateGroupMembership: (input, s) => {
      const group = s.sso.groups.get(String(input.GroupId));
      if (!group) return jsonError('ResourceNotFoundException', 'stand-in: no such group', 404);
      const userId = memberUserId(input);
      if (group.members.has(userId)) return jsonError('ConflictException', 'stand-in: already a member');
      const membershipId = randomUUID();
      group.members.set(userId, membershipId);
      return { ok: { MembershipId: membershipId, IdentityStoreId: String(input.IdentityStoreId) } };
    },
    GetGroupMembershipId: (input, s) => {
      const membershipId = s.sso.groups.get(String(input.GroupId))?.members.get(memberUserId(input));
      if (membershipId === undefined) {
        return jsonError('ResourceNotFoundException', 'stand-in: no such membership', 404);
      }
      return { ok: { MembershipId: membershipId, IdentityStoreId: String(input.IdentityStoreId) } };
    },
    DeleteGroupMembership: (input, s) => {
      for (const group of s.sso.groups.values()) {
        for (const [userId, membershipId] of group.members) {
          if (membershipId !== String(input.MembershipId)) continue;
          group.members.delete(userId);
          return { ok: {} };
        }
      }
      return jsonError('ResourceNotFoundException', 'stand-in: no such membership', 404);
    },
    ListGroupMemberships: (input, s) => {
      const group = s.sso.groups.get(String(input.GroupId));
      if (!group) return jsonError('ResourceNotFoundException', 'stand-in: no such group', 404);
      return {
        ok: {
          GroupMemberships: [...group.members].map(([UserId, MembershipId]) => ({
            IdentityStoreId: String(input.IdentityStoreId),
            MembershipId,
            GroupId: String(input.GroupId),
            MemberId: { UserId },
          })),
        },
      };
    },
  },
};

const organizations: JsonService = {
  protocol: 'json',
  targetPrefix: 'AWSOrganizationsV20161128',
  errorNamespace: 'com.amazonaws.organizations',
  actions: {
    ListAccountsForParent: (input, s) => {
      const ou = s.sso.ous.get(String(input.ParentId));
      if (!ou) return jsonError('ParentNotFoundException', 'stand-in: no such parent');
      return {
        ok: {
          Accounts: ou.accounts.map((id) => ({
            Id: id,
            Name: s.sso.accounts.get(id) ?? id,
            Status: 'ACTIVE',
            State: 'ACTIVE',
          })),
        },
      };
    },
    ListChildren: (input, s) => ({
      ok: {
        Children: (s.sso.ous.get(String(input.ParentId))?.children ?? []).map((Id) => ({
          Id,
          Type: 'ORGANIZATIONAL_UNIT',
        })),
      },
    }),
    DescribeAccount: (input, s) => {
      const name = s.sso.accounts.get(String(input.AccountId));
      if (name === undefined) return jsonError('AccountNotFoundException', 'stand-in: no such account');
      return {
        ok: { Account: { Id: String(input.AccountId), Name: name, Status: 'ACTIVE', State: 'ACTIVE' } },
      };
    },
  },
};

const secretsManager: JsonService = {
  protocol: 'json',
  targetPrefix: 'secretsmanager',
  errorNamespace: 'com.amazonaws.secretsmanager',
  actions: {
    GetSecretValue: (input, s) => {
      const id = String(input.SecretId ?? '');
      const arn = [...s.secrets.keys()].find((key) => key === id || key.split(':')[6] === id);
      if (arn === undefined) return jsonError('ResourceNotFoundException', 'stand-in: no such secret');
      return {
        ok: {
          ARN: arn,
          Name: arn.split(':')[6] ?? arn,
          SecretString: s.secrets.get(arn),
          VersionId: 'stand-in-version',
          VersionStages: ['AWSCURRENT'],
          CreatedDate: 0,
        },
      };
    },
  },
};

/** The services the stand-in speaks, by path prefix (and `AWS_ENDPOINT_URL_<KEY>`). */
const SERVICES: Record<string, Service> = {
  iam,
  sts,
  sqs,
  'sso-admin': ssoAdmin,
  identitystore,
  organizations,
  'secrets-manager': secretsManager,
};

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
  const state: StandInState = {
    groups: new Map(),
    rolePolicies: new Map(),
    sqsMessages: [],
    secrets: new Map(),
    sso: {
      assignments: new Set(),
      permissionSets: new Map(),
      inlinePolicies: new Map(),
      users: [],
      groups: new Map(),
      ous: new Map(),
      accounts: new Map(),
      plans: new Map(),
      operations: new Map(),
    },
  };
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
      AWS_ENDPOINT_URL_SSO_ADMIN: `${url}/sso-admin`,
      AWS_ENDPOINT_URL_IDENTITYSTORE: `${url}/identitystore`,
      AWS_ENDPOINT_URL_ORGANIZATIONS: `${url}/organizations`,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: `${url}/secrets-manager`,
      AWS_ACCESS_KEY_ID: 'TESTKEYSTANDIN',
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
