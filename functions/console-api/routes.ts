import {
  denyBody,
  durationSecondsOf,
  extendGrantBody,
  submitRequestBody,
  type AuditEventView,
  type DashboardResponse,
  type ExportFormat,
  type MeResponse,
  type RequestView,
  type SubmitResponse,
  type VerifyResponse,
  EXPORT_FORMATS,
  FORM_FIELDS,
  type FormField,
} from '../../shared/api/console-schema.js';
import type { AuditEvent } from '../../shared/domain/audit.js';
import type { AuditDigestStore } from '../../shared/domain/audit-digest.js';
import type { AuditChainReader, AuditReader } from '../../shared/domain/audit-query.js';
import {
  consoleRolesOf,
  hasAnyConsoleRole,
  mayReadRequest,
  type ConsoleRoles,
} from '../../shared/domain/console-roles.js';
import {
  BrokerError,
  NotAuthorizedError,
  NotFoundError,
  ValidationError,
} from '../../shared/domain/errors.js';
import { canonicalPersonKey, personKey, type ResolvedPerson } from '../../shared/domain/person.js';
import { findTarget, requestableTargets } from '../../shared/domain/policy.js';
import type { AccessRequest } from '../../shared/domain/request.js';
import { unnamedGrant, type GrantNames } from '../../shared/domain/grant-names.js';
import { grantNames } from '../../shared/usecases/grant-names.js';
import { accessDashboard } from '../../shared/usecases/access-dashboard.js';
import { approveRequest, denyRequest } from '../../shared/usecases/approve-request.js';
import { cancelRequest } from '../../shared/usecases/cancel-request.js';
import type { RequestDeps } from '../../shared/usecases/deps.js';
import { identifyPerson } from '../../shared/usecases/identify-person.js';
import { listMyAccess } from '../../shared/usecases/list-my-access.js';
import { accountChoices, checkAccountChoice } from '../../shared/usecases/prepare-forms.js';
import { listWaitingApprovals } from '../../shared/usecases/list-waiting-approvals.js';
import { exportAudit, queryAudit } from '../../shared/usecases/query-audit.js';
import { releaseGrant } from '../../shared/usecases/release-grant.js';
import { requestCredentials } from '../../shared/usecases/request-credentials.js';
import { submitRequest } from '../../shared/usecases/submit-request.js';
import { verifyAudit } from '../../shared/usecases/verify-audit.js';
import { throughChannel } from '../../shared/usecases/channel.js';
import { auditChannelOf, onChannel, parseChannelFilter } from './audit-channel.js';
import type { ConsoleCaller } from './caller.js';
import type { CredentialsMailbox } from '../../shared/adapters/credentials-mailbox.js';

/**
 * The web console's API, independent of how it is reached (API Gateway with a JWT authorizer
 * in AWS, the local runner's HTTP server on loopback): each route maps the caller to a
 * Person (caller.ts), checks the console role the page needs (console-roles.ts), and calls
 * one existing use case. No rule lives here; every action is decided again by its use case.
 *
 *   GET  /me                         who I am, my roles, the targets I may request
 *   GET  /my-access                  my pending requests and live grants
 *   POST /requests                   submit            POST /requests/:id/cancel
 *   POST /grants/:id/release         release early     POST /grants/:id/extend
 *   POST /grants/:id/credentials     ask the worker for credentials → a ticket
 *   GET  /credentials/:ticket        collect them once (pending until minted)
 *   GET  /approvals                  what waits for me  POST /approvals/:id/approve|deny
 *   GET  /requests/:id/timeline      every audit event of one request
 *   GET  /audit/events?…             one page (auditors: anyone; others: themselves)
 *   GET  /audit/export?format=csv|jsonl&…   every matching event, streamed
 *   GET  /audit/verify               chain verification (auditors)
 *   GET  /dashboard?days=            the dashboard's figures (auditors)
 */
export interface ConsoleApiDeps {
  readonly request: RequestDeps;
  readonly reader: AuditReader & AuditChainReader;
  /** The audit digests, which the auditors' verification checks against the trail (when set). */
  readonly digests?: Pick<AuditDigestStore, 'span' | 'readAll'>;
  /** Where the worker leaves console credentials; absent where the console cannot collect them. */
  readonly mailbox?: CredentialsMailbox;
}

export interface ConsoleApiRequest {
  readonly method: string;
  /** The path after the API prefix, e.g. `/approvals/01H…/approve`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly caller: ConsoleCaller;
}

/** A JSON answer, or a streamed export the transport writes out (see audit-format.ts). */
export type ConsoleApiResponse =
  | { readonly kind: 'json'; readonly status: number; readonly body: unknown }
  | {
      readonly kind: 'export';
      readonly format: ExportFormat;
      readonly filename: string;
      readonly events: AsyncIterable<AuditEvent>;
    };

/** The most events one export streams (a larger history is exported in time slices). */
export const MAX_EXPORT_EVENTS = 100_000;

/** What a request looks like to the console: no channel details, no idempotency keys. */
export function requestView(r: AccessRequest, names: GrantNames = unnamedGrant(r)): RequestView {
  return {
    id: r.id,
    requester: r.requester,
    targetId: r.targetId,
    status: r.status,
    durationSeconds: r.durationSeconds,
    reason: r.reason,
    ...(r.ticket === undefined ? {} : { ticket: r.ticket }),
    createdAt: r.createdAt,
    ...(r.startsAt === undefined ? {} : { startsAt: r.startsAt }),
    ...(r.endsAt === undefined ? {} : { endsAt: r.endsAt }),
    breakGlass: r.breakGlass,
    approvalsRequired: r.approvalsRequired,
    approvals: r.approvals.map((a) => ({ approver: a.approver, at: a.at })),
    ...(r.decidedBy === undefined ? {} : { decidedBy: r.decidedBy }),
    ...(r.decisionReason === undefined ? {} : { decisionReason: r.decisionReason }),
    ...(r.extendsRequestId === undefined ? {} : { extendsRequestId: r.extendsRequestId }),
    ...(r.endRequest === undefined ? {} : { endRequested: true }),
    ...(names.accounts.length === 0 ? {} : { accounts: [...names.accounts] }),
    ...(names.permissionSetName === undefined ? {} : { permissionSetName: names.permissionSetName }),
  };
}

/**
 * {@link requestView} with its accounts and permission set named (ids when a name cannot be
 * read): every account a request asks for, or with `ownAccount` only the grant's own (a
 * request over several accounts becomes one grant per account once approved).
 */
async function namedView(rd: RequestDeps, r: AccessRequest, ownAccount = false): Promise<RequestView> {
  const where = ownAccount ? { account: r.account } : r;
  const target = findTarget(rd.policy.current(), r.targetId);
  return requestView(r, await grantNames(rd.accounts, where, target));
}

/** An audit event as the explorer lists it. */
export function auditEventView(e: AuditEvent): AuditEventView {
  return {
    at: e.at,
    type: e.type,
    actor: e.actor,
    subject: e.subject,
    targetId: e.targetId,
    requestId: e.requestId,
    ...(e.fromStatus === undefined ? {} : { fromStatus: e.fromStatus }),
    ...(e.toStatus === undefined ? {} : { toStatus: e.toStatus }),
    ...(e.reason === undefined ? {} : { reason: e.reason }),
    ...(e.ticket === undefined ? {} : { ticket: e.ticket }),
    breakGlass: e.breakGlass,
    ...(e.awsRequestId === undefined ? {} : { awsRequestId: e.awsRequestId }),
    channel: auditChannelOf(e),
    chain: e.chain,
    seq: e.seq,
  };
}

const ok = (body: unknown, status = 200): ConsoleApiResponse => ({ kind: 'json', status, body });

function parseBody<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
  body: unknown,
): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) throw new ValidationError('The form is not valid.');
  return parsed.data;
}

/** A refusal of the form as the console shows it: the message next to its field. */
function refusedForm(message: string, field?: string): SubmitResponse {
  const known = (FORM_FIELDS as readonly (string | undefined)[]).includes(field);
  return known ? { outcome: 'refused', message, field: field as FormField } : { outcome: 'refused', message };
}

/** A form schema's first problem as a refusal (the same words the Slack modal uses). */
function formRefusal(
  schema: typeof submitRequestBody | typeof extendGrantBody,
  body: unknown,
): SubmitResponse | undefined {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return undefined;
  const issue = parsed.error.issues[0];
  const key = issue?.path[0] === 'targetId' ? 'target' : String(issue?.path[0] ?? '');
  return refusedForm(issue?.message ?? 'The form is not valid.', key);
}

function requireRole(roles: ConsoleRoles, role: keyof ConsoleRoles, page: string): void {
  // Why: the console's pages follow the policy's sets; a page outside them is a 403, not data.
  if (!roles[role]) throw new NotAuthorizedError(`not-${role}`, `Only ${role}s may open ${page}.`);
}

/**
 * The auditors' query of the caller: auditors ask anything; everyone else only about their
 * own requests (a `person` filter naming someone else is refused, none means themselves).
 */
function scopedAuditQuery(
  query: Readonly<Record<string, string>>,
  roles: ConsoleRoles,
  me: string,
): Record<string, string> {
  if (roles.auditor) return { ...query };
  if (query.person !== undefined && canonicalPersonKey(query.person) !== me) {
    throw new NotAuthorizedError('not-auditor', 'Only auditors may read other people’s history.');
  }
  return { ...query, person: me };
}

/** Routes one console API request. Errors are thrown (BrokerError) for the transport to map. */
export async function routeConsoleApi(
  deps: ConsoleApiDeps,
  req: ConsoleApiRequest,
): Promise<ConsoleApiResponse> {
  // Every audit event the console's writes cause names the console as their channel.
  const rd = throughChannel(deps.request, 'console');
  const policy = rd.policy.current();
  const { person: who, identity } = await identifyPerson(
    { policy: rd.policy, directory: req.caller.directory },
    req.caller.person,
  );
  const me = personKey(who.person);
  const roles = consoleRolesOf(policy, who);
  // Why: someone the policy gives no role sees a 403 page and nothing else.
  if (!hasAnyConsoleRole(roles)) {
    throw new NotAuthorizedError('no-console-role', 'The access policy gives you no role in this console.');
  }
  const parts = req.path.replace(/\/+$/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const route = `${req.method} /${parts.map((p, i) => (isParam(parts, i) ? ':id' : p)).join('/')}`;
  const id = parts[1] ?? '';
  const principal = () => {
    if (!identity.ok) throw new ValidationError(identity.message);
    return identity.principal;
  };

  switch (route) {
    case 'GET /me': {
      const body: MeResponse = {
        person: me,
        ...(who.email === undefined ? {} : { email: who.email }),
        roles,
        targets: await Promise.all(
          requestableTargets(policy, who).map(async (t) => {
            // The accounts picker: the accounts the target may be granted in (the Slack modal's).
            const accounts = await accountChoices(rd, t);
            return {
              id: t.id,
              description: t.description,
              defaultDurationSeconds: t.defaultDurationSeconds,
              maxDurationSeconds: t.maxDurationSeconds,
              requireReason: t.requireReason,
              requireTicket: t.requireTicket,
              autoApprove: t.autoApprove,
              ...(accounts === undefined
                ? {}
                : { accounts: accounts.map((a) => (a.name === undefined ? { id: a.id } : a)) }),
            };
          }),
        ),
        ...(identity.ok ? {} : { identityProblem: identity.message }),
      };
      return ok(body);
    }
    case 'GET /my-access': {
      const mine = await listMyAccess(rd, who);
      return ok({
        pending: await Promise.all(mine.pending.map((r) => namedView(rd, r))),
        live: await Promise.all(
          mine.live.map(async (g) => ({
            request: await namedView(rd, g.request, true),
            secondsLeft: g.secondsLeft,
            canGetCredentials: g.canGetCredentials && deps.mailbox !== undefined,
          })),
        ),
      });
    }
    case 'POST /requests': {
      const refused = formRefusal(submitRequestBody, req.body);
      if (refused) return ok(refused, 422);
      const form = parseBody(submitRequestBody, req.body);
      const target = findTarget(policy, form.targetId);
      // Why 400: the form offers only the target's accounts; another one (or accounts for a
      // target not granted per account) is a forged or stale form, refused before anything is written.
      if ((await accountChoices(rd, target)) === undefined) {
        if (form.accounts !== undefined && form.accounts.length > 0)
          return ok(refusedForm(`${form.targetId} does not take an account.`, 'accounts'), 400);
      } else {
        const picked = await checkAccountChoice(rd, target, form.accounts);
        if (!picked.ok) return ok(refusedForm(picked.message, 'accounts'), 400);
      }
      return submitted(rd, who, principal(), { ...form, targetId: form.targetId });
    }
    case 'POST /grants/:id/extend': {
      const refused = formRefusal(extendGrantBody, req.body);
      if (refused) return ok(refused, 422);
      const form = parseBody(extendGrantBody, req.body);
      return submitted(rd, who, principal(), { ...form, targetId: '', extendsRequestId: id });
    }
    case 'POST /requests/:id/cancel':
      return ok(requestView(await cancelRequest(rd, { requestId: id, requester: me })));
    case 'POST /grants/:id/release':
      return ok(requestView(await releaseGrant(rd, { requestId: id, requester: me })));
    case 'POST /grants/:id/credentials': {
      if (!deps.mailbox) {
        throw new BrokerError(
          'METHOD_NOT_ALLOWED',
          'Get credentials from Slack: this console cannot hand them out.',
          {
            expose: true,
          },
        );
      }
      const { ticket, replyTo } = await deps.mailbox.open(me);
      await requestCredentials(rd, { requestId: id, requester: me, replyTo });
      return ok({ ticket }, 202);
    }
    case 'GET /credentials/:id': {
      const answer = await deps.mailbox?.collect(id, me);
      if (!answer) throw new NotFoundError('Credentials ticket');
      return ok(answer);
    }
    case 'GET /approvals': {
      requireRole(roles, 'approver', 'Approvals');
      const waiting = await listWaitingApprovals(rd, who);
      return ok({
        items: await Promise.all(
          waiting.map(async (w) => ({
            request: await namedView(rd, w.request),
            history: w.history.map((r) => requestView(r)),
            approvedByMe: w.approvedByMe,
          })),
        ),
      });
    }
    case 'POST /approvals/:id/approve': {
      const result = await approveRequest(rd, { requestId: id, approver: who });
      if (result.outcome === 'refused') return ok({ outcome: 'refused', message: result.message }, 409);
      return ok(
        result.outcome === 'recorded'
          ? { outcome: 'recorded', approvals: result.approvals, required: result.required }
          : { outcome: 'approved' },
      );
    }
    case 'POST /approvals/:id/deny': {
      const { reason } = parseBody(denyBody, req.body);
      const result = await denyRequest(rd, { requestId: id, approver: who, reason });
      if (result.outcome === 'refused') return ok({ outcome: 'refused', message: result.message }, 409);
      return ok({ outcome: 'denied' });
    }
    case 'GET /requests/:id/timeline': {
      const request = await rd.store.get(id);
      if (!request || !mayReadRequest(policy, roles, request, who)) throw new NotFoundError(`Request ${id}`);
      const page = await queryAudit({ reader: deps.reader, clock: rd.clock }, { requestId: id, limit: 1000 });
      return ok({ request: requestView(request), items: [...page.items].reverse().map(auditEventView) });
    }
    case 'GET /audit/events': {
      const { channel: channelText, ...filters } = req.query;
      const channel = parseChannelFilter(channelText);
      const page = await queryAudit(
        { reader: deps.reader, clock: rd.clock },
        scopedAuditQuery(filters, roles, me),
      );
      // Filtered after the index query (see audit-channel.ts): the cursor continues the same query.
      const items = page.items.filter((e) => channel === undefined || auditChannelOf(e) === channel);
      return ok({ items: items.map(auditEventView), ...(page.cursor ? { cursor: page.cursor } : {}) });
    }
    case 'GET /audit/export': {
      const { format = 'csv', channel: channelText, ...filters } = req.query;
      const channel = parseChannelFilter(channelText);
      if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
        throw new ValidationError(`Invalid export: format must be ${EXPORT_FORMATS.join(' or ')}`);
      }
      const events = onChannel(
        exportAudit({ reader: deps.reader, clock: rd.clock }, scopedAuditQuery(filters, roles, me), {
          max: MAX_EXPORT_EVENTS,
        }),
        channel,
      );
      return { kind: 'export', format: format as ExportFormat, filename: `audit-events.${format}`, events };
    }
    case 'GET /audit/verify': {
      requireRole(roles, 'auditor', 'chain verification');
      const result = await verifyAudit({
        chains: deps.reader,
        clock: rd.clock,
        ...(deps.digests ? { digests: { store: deps.digests, trail: deps.reader } } : {}),
      });
      const body: VerifyResponse = {
        ok: result.ok,
        chains: result.chains.length,
        events: result.chains.reduce((n, c) => n + c.verified, 0),
        breaks: result.breaks.length,
        misplaced: result.misplaced.length,
        digestFindings: [...(result.digests?.findings ?? [])],
        warnings: [...result.warnings],
      };
      return ok(body);
    }
    case 'GET /dashboard': {
      requireRole(roles, 'auditor', 'the dashboard');
      const days = Number(req.query.days ?? 14);
      const board = await accessDashboard(
        { store: rd.store, reader: deps.reader, clock: rd.clock },
        Number.isFinite(days) ? days : 14,
      );
      const body: DashboardResponse = {
        ...board,
        accessNow: board.accessNow.map((g) => ({
          requester: g.requester,
          targetId: g.targetId,
          endsAt: g.endsAt ?? '',
          breakGlass: g.breakGlass,
        })),
        grantsPerDay: [...board.grantsPerDay],
        breakGlassPerWeek: [...board.breakGlassPerWeek],
        unreviewedBreakGlass: board.unreviewedBreakGlass.map((r) => requestView(r)),
        topRequesters: [...board.topRequesters],
        topTargets: [...board.topTargets],
      };
      return ok(body);
    }
    default:
      throw new NotFoundError(`Route ${req.method} ${req.path}`);
  }
}

/** The store's idempotency key of a console form: the channel, the caller and the browser's key. */
export function consoleIdempotencyKey(person: string, key: string): string {
  return `console:${person}:${key}`;
}

/** Whether path segment `i` is an id (the second segment of a resource path, but for fixed words). */
function isParam(parts: readonly string[], i: number): boolean {
  const fixed = new Set(['export', 'events', 'verify']);
  return i === 1 && !fixed.has(parts[i] ?? '');
}

async function submitted(
  rd: RequestDeps,
  who: ResolvedPerson,
  principal: string,
  form: {
    targetId: string;
    duration?: string;
    reason?: string;
    ticket?: string;
    accounts?: readonly string[];
    extendsRequestId?: string;
    idempotencyKey?: string;
  },
): Promise<ConsoleApiResponse> {
  const durationSeconds = durationSecondsOf(form.duration);
  const result = await submitRequest(rd, {
    requester: who,
    principal,
    targetId: form.targetId,
    ...(durationSeconds === undefined ? {} : { durationSeconds }),
    ...(form.reason === undefined ? {} : { reason: form.reason }),
    ...(form.ticket === undefined ? {} : { ticket: form.ticket }),
    ...(form.accounts === undefined || form.accounts.length === 0 ? {} : { accounts: form.accounts }),
    ...(form.extendsRequestId === undefined ? {} : { extendsRequestId: form.extendsRequestId }),
    // Why scoped to the caller: the key comes from a browser; it must only ever find their own request.
    ...(form.idempotencyKey === undefined
      ? {}
      : { idempotencyKey: consoleIdempotencyKey(personKey(who.person), form.idempotencyKey) }),
  });
  if (result.outcome === 'refused') return ok(refusedForm(result.message, result.field), 422);
  const body: SubmitResponse = { outcome: result.outcome, request: requestView(result.request) };
  return ok(body, result.created ? 201 : 200);
}
