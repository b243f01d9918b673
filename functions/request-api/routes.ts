import * as z from 'zod';
import { httpAnswerFor } from '../../shared/adapters/http/error-status.js';
import { tryParseDuration } from '../../shared/domain/duration.js';
import {
  BrokerError,
  NotAuthorizedError,
  NotFoundError,
  ValidationError,
} from '../../shared/domain/errors.js';
import { personKey, type Person } from '../../shared/domain/person.js';
import type { IssuedCredentials } from '../../shared/domain/ports.js';
import type { AccessRequest } from '../../shared/domain/request.js';
import { unnamedGrant, type GrantNames } from '../../shared/domain/grant-names.js';
import { findTarget } from '../../shared/domain/policy.js';
import { grantNames } from '../../shared/usecases/grant-names.js';
import { approveRequest, denyRequest } from '../../shared/usecases/approve-request.js';
import { cancelRequest } from '../../shared/usecases/cancel-request.js';
import { throughChannel, type Channel, type ChannelTag } from '../../shared/usecases/channel.js';
import type { RequestDeps } from '../../shared/usecases/deps.js';
import type { GrantDeps } from '../../shared/usecases/grant-deps.js';
import { identifyPerson, resolvePerson, type PeopleDeps } from '../../shared/usecases/identify-person.js';
import { issueCredentials } from '../../shared/usecases/issue-credentials.js';
import { listMyAccess } from '../../shared/usecases/list-my-access.js';
import { releaseGrant } from '../../shared/usecases/release-grant.js';
import { revokeAccess, revokeAllAccessOf } from '../../shared/usecases/revoke-access.js';
import { accountChoices } from '../../shared/usecases/prepare-forms.js';
import { submitRequest } from '../../shared/usecases/submit-request.js';

/**
 * The request API's routes, independent of how the caller was authenticated: the Lambda
 * (SigV4 principal, handler.ts) and any other front door (the web console) map their caller
 * to a Person and call `routeRequest`. Every rule lives in the use cases; this only parses
 * bodies, calls one use case and shapes its answer.
 *
 *   POST /requests                  { target, duration?, reason?, ticket?, account?, start?, idempotencyKey? }
 *                                   (start: an ISO 8601 time with offset, a scheduled start)
 *   GET  /requests                  the caller's pending requests, live grants and scheduled grants
 *                                   (approved, start still ahead; cancellable), each a request view
 *   GET  /requests/{id}             one of the caller's requests (what `--wait` polls)
 *   POST /requests/{id}/cancel      a pending request of the caller
 *   POST /requests/{id}/release     a live grant of the caller, ended now
 *   POST /requests/{id}/extend      { by, reason? }: a request adding time to a live grant
 *   POST /requests/{id}/approve     by an approver of its target
 *   POST /requests/{id}/deny        { reason }, by an approver of its target
 *   POST /requests/{id}/revoke      { reason }: someone's live grant, by an approver of its
 *                                   target or the security set (the holder is told who and why)
 *   POST /revocations               { person, target?, reason }: all of a person's live grants
 *                                   (security set only); person is an id or the AWS identity (email)
 *   POST /credentials               { target } or { requestId }: STS credentials of a live grant
 *
 * Answers: 200/201 with `{ outcome, request? }`; a policy refusal is 422
 * `{ outcome: 'refused', reason, message, field? }` with the decision's own reason; an exposed
 * BrokerError is its HTTP status with `{ error: code, message }` (a revoke by someone who may not
 * revoke is 403 NOT_AUTHORIZED). Anything else is thrown.
 */
export interface RequestApiDeps {
  readonly requests: RequestDeps;
  readonly people: PeopleDeps;
  /** The grant side, for "get credentials" (its delivery is replaced by the HTTP answer). */
  readonly grants: Omit<GrantDeps, 'delivery'>;
}

/** An HTTP answer, before it is written by the front door. */
export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
}

/**
 * A request as the API shows it to its requester (never anything secret); a grant in accounts
 * carries its `account` with `accountName`, all its `accounts` when several, and the
 * `permissionSetName`, when `names` has them.
 */
export function requestView(request: AccessRequest, names: GrantNames = unnamedGrant(request)) {
  const accountName = names.accounts.find((a) => a.id === request.account)?.name;
  return {
    id: request.id,
    target: request.targetId,
    status: request.status,
    requester: request.requester,
    durationSeconds: request.durationSeconds,
    reason: request.reason,
    ...(request.ticket === undefined ? {} : { ticket: request.ticket }),
    ...(request.ticketInfo === undefined ? {} : { ticketInfo: request.ticketInfo }),
    ...(request.startsAt === undefined ? {} : { startsAt: request.startsAt }),
    // The start asked for (a scheduled window), shown while the request is still pending too.
    ...(request.scheduledStartsAt === undefined ? {} : { scheduledStartsAt: request.scheduledStartsAt }),
    ...(request.endsAt === undefined ? {} : { endsAt: request.endsAt }),
    approvals: request.approvals.length,
    approvalsRequired: request.approvalsRequired,
    breakGlass: request.breakGlass,
    ...(request.extendsRequestId === undefined ? {} : { extendsRequestId: request.extendsRequestId }),
    ...(request.account === undefined ? {} : { account: request.account }),
    ...(accountName === undefined ? {} : { accountName }),
    ...(names.accounts.length > 1 ? { accounts: names.accounts } : {}),
    ...(names.permissionSetName === undefined ? {} : { permissionSetName: names.permissionSetName }),
  };
}

/** {@link requestView} with the names of its accounts and permission set looked up (ids when they cannot be). */
async function namedView(deps: RequestDeps, request: AccessRequest) {
  const target = findTarget(deps.policy.current(), request.targetId);
  return requestView(request, await grantNames(deps.accounts, request, target));
}

/** {@link namedView} of each request, in order. */
function namedViews(deps: RequestDeps, requests: readonly AccessRequest[]) {
  return Promise.all(requests.map((request) => namedView(deps, request)));
}

const durationText = z.union([z.string(), z.number().int().positive()]).transform((value, ctx) => {
  const seconds = typeof value === 'number' ? value : tryParseDuration(value);
  if (seconds === undefined) ctx.addIssue({ code: 'custom', message: 'is not a duration (try 15m or 1h)' });
  return seconds ?? 0;
});

const submitBody = z.strictObject({
  target: z.string().min(1).max(64),
  duration: durationText.optional(),
  reason: z.string().max(1000).optional(),
  ticket: z.string().max(200).optional(),
  account: z.string().optional(),
  /** A scheduled start, as the Slack modal's start: checked by the same decision (maxLeadTime, not past). */
  start: z.iso.datetime({ offset: true }).optional(),
  idempotencyKey: z.string().min(1).max(128).optional(),
});
const extendBody = z.strictObject({
  by: durationText,
  reason: z.string().max(1000).optional(),
  idempotencyKey: z.string().min(1).max(128).optional(),
});
const denyBody = z.strictObject({ reason: z.string().max(1000) });
/** A revoke takes a reason, like a deny (the holder is told it). */
const revokeBody = denyBody;
const revokeAllBody = z.strictObject({
  person: z.string().min(1).max(1100),
  target: z.string().min(1).max(64).optional(),
  reason: z.string().max(1000),
});
const emptyBody = z.strictObject({ reason: z.string().max(1000).optional() });
const credentialsBody = z.union([
  z.strictObject({ target: z.string().min(1).max(64) }),
  z.strictObject({ requestId: z.string().min(1).max(64) }),
]);

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
    throw new ValidationError(`Invalid request body: ${problems.join('; ')}`);
  }
  return parsed.data;
}

const ok = (body: unknown, status = 200): ApiResponse => ({ status, body });
/** A decision's refusal as the API answers it; its `accounts` field is the body's `account`. */
const refused = ({
  field,
  ...refusal
}: {
  reason: string;
  message: string;
  field?: string;
}): ApiResponse => ({
  status: 422,
  body: {
    outcome: 'refused',
    ...refusal,
    ...(field === undefined ? {} : { field: field === 'accounts' ? 'account' : field }),
  },
});

/** The caller's own request, or 404 (someone else's request is not even confirmed to exist). */
async function ownRequest(deps: RequestDeps, caller: Person, id: string): Promise<AccessRequest> {
  const request = await deps.store.get(id);
  if (!request || request.requester !== personKey(caller)) throw new NotFoundError(`Request ${id}`);
  return request;
}

type Route = (
  deps: RequestApiDeps,
  caller: Person,
  body: unknown,
  id: string | undefined,
) => Promise<ApiResponse>;

async function submit(deps: RequestApiDeps, caller: Person, body: unknown): Promise<ApiResponse> {
  const input = parseBody(submitBody, body);
  // The accounts asked for ("111122223333" or "111122223333,444455556666"); the decision checks
  // them (each one the target may be granted in, at least one for such a target).
  const accounts = input.account
    ?.split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  const target = findTarget(deps.requests.policy.current(), input.target);
  const choices = await accountChoices(deps.requests, target);
  // Why: for a target not granted per account, ignoring the flag would grant elsewhere than asked.
  if (choices === undefined && accounts !== undefined) {
    throw new ValidationError(`Target ${input.target} does not take an account.`);
  }
  const { person, identity } = await identifyPerson(deps.people, caller);
  if (!identity.ok) return refused({ reason: identity.reason, message: identity.message });
  const result = await submitRequest(deps.requests, {
    requester: person,
    principal: identity.principal,
    targetId: input.target,
    ...(input.duration === undefined ? {} : { durationSeconds: input.duration }),
    ...(input.reason === undefined ? {} : { reason: input.reason }),
    ...(input.ticket === undefined ? {} : { ticket: input.ticket }),
    ...(accounts === undefined || choices === undefined ? {} : { accounts }),
    ...(input.start === undefined ? {} : { startsAt: new Date(input.start) }),
    ...(input.idempotencyKey === undefined ? {} : { idempotencyKey: input.idempotencyKey }),
  });
  if (result.outcome === 'refused') return refused(result);
  return ok(
    { outcome: result.outcome, request: await namedView(deps.requests, result.request) },
    result.created ? 201 : 200,
  );
}

async function extend(deps: RequestApiDeps, caller: Person, body: unknown, id: string): Promise<ApiResponse> {
  const input = parseBody(extendBody, body);
  const original = await ownRequest(deps.requests, caller, id);
  const { person, identity } = await identifyPerson(deps.people, caller);
  if (!identity.ok) return refused({ reason: identity.reason, message: identity.message });
  const result = await submitRequest(deps.requests, {
    requester: person,
    principal: identity.principal,
    targetId: original.targetId,
    extendsRequestId: original.id,
    durationSeconds: input.by,
    reason: input.reason ?? original.reason,
    ...(original.ticket === undefined ? {} : { ticket: original.ticket }),
    ...(input.idempotencyKey === undefined ? {} : { idempotencyKey: input.idempotencyKey }),
  });
  if (result.outcome === 'refused') return refused(result);
  return ok(
    { outcome: result.outcome, request: await namedView(deps.requests, result.request) },
    result.created ? 201 : 200,
  );
}

async function listMine(deps: RequestApiDeps, caller: Person): Promise<ApiResponse> {
  const mine = await listMyAccess(deps.requests, await resolvePerson(deps.people, caller));
  return ok({
    pending: await namedViews(deps.requests, mine.pending),
    live: await Promise.all(
      mine.live.map(async (grant) => ({
        ...(await namedView(deps.requests, grant.request)),
        secondsLeft: grant.secondsLeft,
        canGetCredentials: grant.canGetCredentials,
      })),
    ),
    // Approved grants whose start is still ahead: nothing granted yet, cancellable (soonest first).
    scheduled: await namedViews(deps.requests, mine.scheduled),
  });
}

async function credentials(deps: RequestApiDeps, caller: Person, body: unknown): Promise<ApiResponse> {
  const input = parseBody(credentialsBody, body);
  const requester = personKey(caller);
  let requestId: string;
  if ('requestId' in input) {
    requestId = input.requestId;
  } else {
    const mine = await listMyAccess(deps.requests, await resolvePerson(deps.people, caller));
    // The live grant of that target with the most time left (listMyAccess sorts by time left).
    const grant = mine.live.filter((g) => g.request.targetId === input.target && g.canGetCredentials).at(-1);
    if (!grant) {
      return refused({
        reason: 'no-live-grant',
        message: `You have no active grant of ${input.target} that issues credentials. Request one with: jit request ${input.target}`,
      });
    }
    requestId = grant.request.id;
  }
  let issued: IssuedCredentials | undefined;
  let failure: string | undefined;
  const result = await issueCredentials(
    {
      ...deps.grants,
      // The credentials go back in this HTTP answer only: never stored, never logged.
      delivery: {
        deliver: (_job, _grant, creds) => Promise.resolve(void (issued = creds)),
        deliverFailure: (_job, message) => Promise.resolve(void (failure = message)),
      },
    },
    { kind: 'issue-credentials', requestId, requester, replyTo: 'api' },
  );
  if (result.outcome === 'refused')
    return refused({ reason: 'credentials-refused', message: result.message });
  if (result.outcome === 'failed' || !issued) {
    throw new BrokerError('AWS_OPERATION_FAILED', failure ?? result.outcome, { expose: true });
  }
  return ok({
    outcome: 'issued',
    requestId,
    credentials: {
      accessKeyId: issued.accessKeyId,
      secretAccessKey: issued.secretAccessKey,
      sessionToken: issued.sessionToken,
      expiration: issued.expiration.toISOString(),
    },
    ...(issued.consoleUrl === undefined ? {} : { consoleUrl: issued.consoleUrl }),
  });
}

/** Refusals that mean "not yours to revoke": answered 403, like any other unauthorised caller. */
const NOT_A_REVOKER = new Set(['not-a-revoker', 'not-security']);

/** A revoke refusal as its answer: 403 for a caller who may not revoke, else 422 with the reason. */
function refusedRevoke(refusal: { reason: string; message: string }): ApiResponse {
  if (NOT_A_REVOKER.has(refusal.reason)) throw new NotAuthorizedError(refusal.reason, refusal.message);
  return refused(refusal);
}

async function revokeOne(
  deps: RequestApiDeps,
  caller: Person,
  body: unknown,
  id: string,
): Promise<ApiResponse> {
  const { reason } = parseBody(revokeBody, body);
  const revoker = await resolvePerson(deps.people, caller);
  const result = await revokeAccess(deps.requests, { requestId: id, revoker, reason });
  if (result.outcome === 'refused') return refusedRevoke(result);
  return ok({
    outcome: 'revoke-requested',
    as: result.as,
    request: await namedView(deps.requests, result.request),
  });
}

async function revokeAll(deps: RequestApiDeps, caller: Person, body: unknown): Promise<ApiResponse> {
  const input = parseBody(revokeAllBody, body);
  const revoker = await resolvePerson(deps.people, caller);
  const result = await revokeAllAccessOf(deps.requests, {
    person: input.person,
    ...(input.target === undefined ? {} : { targetId: input.target }),
    revoker,
    reason: input.reason,
  });
  if (result.outcome === 'refused') return refusedRevoke(result);
  return ok({ outcome: 'revoke-requested', revoked: await namedViews(deps.requests, result.revoked) });
}

const ROUTES: Record<string, Route> = {
  'POST /requests': (deps, caller, body) => submit(deps, caller, body),
  'GET /requests': (deps, caller) => listMine(deps, caller),
  'POST /credentials': (deps, caller, body) => credentials(deps, caller, body),
  'GET /requests/:id': async (deps, caller, _body, id) =>
    ok({
      request: await namedView(deps.requests, await ownRequest(deps.requests, caller, id as string)),
    }),
  'POST /requests/:id/cancel': async (deps, caller, body, id) => {
    parseBody(emptyBody, body);
    const request = await cancelRequest(deps.requests, {
      requestId: id as string,
      requester: personKey(caller),
    });
    return ok({ outcome: 'cancelled', request: await namedView(deps.requests, request) });
  },
  'POST /requests/:id/release': async (deps, caller, body, id) => {
    parseBody(emptyBody, body);
    const request = await releaseGrant(deps.requests, {
      requestId: id as string,
      requester: personKey(caller),
    });
    return ok({ outcome: 'release-requested', request: await namedView(deps.requests, request) });
  },
  'POST /requests/:id/extend': (deps, caller, body, id) => extend(deps, caller, body, id as string),
  'POST /requests/:id/approve': async (deps, caller, body, id) => {
    parseBody(emptyBody, body);
    const approver = await resolvePerson(deps.people, caller);
    const result = await approveRequest(deps.requests, { requestId: id as string, approver });
    if (result.outcome === 'refused') return refused(result);
    return ok({
      outcome: result.outcome,
      request: await namedView(deps.requests, result.request),
      ...(result.outcome === 'recorded' ? { approvals: result.approvals, required: result.required } : {}),
    });
  },
  'POST /requests/:id/deny': async (deps, caller, body, id) => {
    const { reason } = parseBody(denyBody, body);
    const approver = await resolvePerson(deps.people, caller);
    const result = await denyRequest(deps.requests, { requestId: id as string, approver, reason });
    if (result.outcome === 'refused') return refused(result);
    return ok({ outcome: 'denied', request: await namedView(deps.requests, result.request) });
  },
  'POST /requests/:id/revoke': (deps, caller, body, id) => revokeOne(deps, caller, body, id as string),
  'POST /revocations': (deps, caller, body) => revokeAll(deps, caller, body),
};

const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The route key of a path (`/requests/01J…/cancel` → `/requests/:id/cancel`) and its id. */
function matchPath(path: string): { key: string; id?: string } {
  const parts = path.replace(/\/+$/, '').split('/').filter(Boolean);
  if (parts[0] === 'requests' && parts[1] !== undefined) {
    if (!REQUEST_ID.test(parts[1])) throw new NotFoundError(`Path ${path}`);
    return { key: ['', 'requests', ':id', ...parts.slice(2)].join('/'), id: parts[1] };
  }
  return { key: `/${parts.join('/')}` };
}

/**
 * Answers one request API call by `caller`, through `channel` (named on every audit event it
 * writes, with the declared client when the tag has one). Exposed BrokerErrors become their HTTP answer; anything else is thrown for the
 * front door to log and answer 500.
 */
export async function routeRequest(
  deps: RequestApiDeps,
  caller: Person,
  channel: Channel | ChannelTag,
  method: string,
  path: string,
  body: unknown,
): Promise<ApiResponse> {
  try {
    const { key, id } = matchPath(path);
    const route = ROUTES[`${method.toUpperCase()} ${key}`];
    if (!route) {
      const known = Object.keys(ROUTES).some((k) => k.endsWith(` ${key}`));
      if (known)
        throw new BrokerError('METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}.`, { expose: true });
      throw new NotFoundError(`Path ${path}`);
    }
    const tagged: RequestApiDeps = {
      ...deps,
      requests: throughChannel(deps.requests, channel),
      grants: throughChannel(deps.grants, channel),
    };
    return await route(tagged, caller, body, id);
  } catch (error) {
    const answer = httpAnswerFor(error);
    if (!(error instanceof BrokerError) || !answer.expose) throw error;
    return { status: answer.statusCode, body: { error: error.code, message: error.message } };
  }
}
