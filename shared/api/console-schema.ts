import * as z from 'zod';
import { REQUEST_STATUSES } from '../domain/lifecycle.js';
import { tryParseDuration } from '../domain/duration.js';

/**
 * The web console's API, as one zod schema module imported by both the server
 * (functions/console-api) and the browser (console/): request bodies are parsed with these
 * schemas on both sides, and responses are typed from them, so the two cannot drift.
 * Pure: no Node, no DOM.
 */

/** Where the console API lives, under the console's own origin locally (API Gateway in AWS). */
export const CONSOLE_API_PREFIX = '/console/api';

/** The message a request form shows next to a duration it cannot read (Slack's modal says the same). */
export function durationTextProblem(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === '' || tryParseDuration(trimmed) !== undefined) return undefined;
  return `"${trimmed.slice(0, 16)}" is not a duration (try 30m, 1h or 1h30m).`;
}

/**
 * The console's `config.json`: where its API is and how people sign in. `dev` is the local
 * development sign-in; `oidc` is the organization's identity provider (authorization code flow
 * with PKCE in the browser, the ID token sent as the bearer token); `none` offers no sign-in.
 */
export const consoleConfig = z.discriminatedUnion('signIn', [
  z.strictObject({ apiBase: z.string(), signIn: z.literal('dev') }),
  z.strictObject({ apiBase: z.string(), signIn: z.literal('none') }),
  z.strictObject({
    apiBase: z.string(),
    signIn: z.literal('oidc'),
    oidc: z.strictObject({
      /** The issuer URL; its discovery document is `<issuer>/.well-known/openid-configuration`. */
      issuer: z.url(),
      clientId: z.string().min(1),
      /** Where the IdP sends the browser back; absent: the page's own address. */
      redirectUri: z.url().optional(),
      scopes: z.array(z.string().min(1)).min(1),
    }),
  }),
]);
export type ConsoleConfig = z.infer<typeof consoleConfig>;
export type OidcSignInConfig = Extract<ConsoleConfig, { signIn: 'oidc' }>['oidc'];

/** The fields of a request form a refusal can point at (decision.ts `RefusalField`, plus the target). */
export const FORM_FIELDS = ['target', 'duration', 'reason', 'ticket', 'accounts'] as const;
export type FormField = (typeof FORM_FIELDS)[number];

/** A duration typed by a person ("1h30m"); empty means the target's default. */
const durationText = z
  .string()
  .max(32)
  .optional()
  .check((ctx) => {
    const problem = ctx.value === undefined ? undefined : durationTextProblem(ctx.value);
    if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
  });

/**
 * A key the browser makes once per form it fills in and sends with every try of it: a double
 * click or a retry after a lost answer names the same key, and the server returns the request
 * the first try made instead of making a second (submit-request's idempotency key, scoped to
 * the caller so one person's key can never find another's request).
 */
export const idempotencyKey = z
  .string()
  .regex(/^[A-Za-z0-9_-]{16,64}$/, 'The form’s idempotency key is not valid.');

/** POST /requests: a new access request. */
export const submitRequestBody = z.strictObject({
  targetId: z.string({ error: 'Choose a target.' }).trim().min(1, 'Choose a target.').max(200),
  duration: durationText,
  reason: z.string().max(2000).optional(),
  ticket: z.string().max(200).optional(),
  /**
   * The accounts picked, for a target granted per account (one grant each under one approval).
   * The server checks them against the target (decideRequest's account rule).
   */
  accounts: z
    .array(z.string().regex(/^\d{12}$/, 'Choose accounts from the list.'))
    .max(100)
    .optional(),
  idempotencyKey: idempotencyKey.optional(),
});
export type SubmitRequestBody = z.infer<typeof submitRequestBody>;

/** POST /grants/:id/extend: more time on a live grant. */
export const extendGrantBody = submitRequestBody.omit({ targetId: true, accounts: true });
export type ExtendGrantBody = z.infer<typeof extendGrantBody>;

/** POST /approvals/:id/deny. */
export const denyBody = z.strictObject({ reason: z.string().max(2000) });
export type DenyBody = z.infer<typeof denyBody>;

/** POST /dev/sign-in (local only): the person to act as, in canonical form. */
export const devSignInBody = z.strictObject({ person: z.string().min(1).max(300) });

/** Reads a form field's value into seconds (the schema already checked it). */
export function durationSecondsOf(text: string | undefined): number | undefined {
  return text === undefined || text.trim() === '' ? undefined : tryParseDuration(text.trim());
}

/**
 * The first problem of a form, keyed by the field it is about, as the console shows it:
 * each message sits next to its field, like the Slack modal's inline errors.
 */
export function formProblems(error: z.ZodError): Partial<Record<FormField | 'form', string>> {
  const out: Partial<Record<FormField | 'form', string>> = {};
  for (const issue of error.issues) {
    const key = issue.path[0] === 'targetId' ? 'target' : issue.path[0];
    const field = (FORM_FIELDS as readonly unknown[]).includes(key) ? (key as FormField) : 'form';
    out[field] ??= issue.message;
  }
  return out;
}

/* ---------- responses ---------- */

const status = z.enum(REQUEST_STATUSES);

/** A request as the console shows it (what AccessRequest holds, minus channel details). */
export const requestView = z.object({
  id: z.string(),
  requester: z.string(),
  targetId: z.string(),
  status,
  durationSeconds: z.number(),
  reason: z.string(),
  ticket: z.string().optional(),
  createdAt: z.string(),
  startsAt: z.string().optional(),
  endsAt: z.string().optional(),
  breakGlass: z.boolean(),
  approvalsRequired: z.number(),
  approvals: z.array(z.object({ approver: z.string(), at: z.string() })),
  decidedBy: z.string().optional(),
  decisionReason: z.string().optional(),
  extendsRequestId: z.string().optional(),
  endRequested: z.boolean().optional(),
  /**
   * Where it applies, for a kind granted per account: the accounts a request asks for, or a
   * live grant's own account, each named when the name could be read ("name (id)").
   */
  accounts: z.array(z.object({ id: z.string(), name: z.string().optional() })).optional(),
  /** The permission set it gives in those accounts, when its name could be read. */
  permissionSetName: z.string().optional(),
});
export type RequestView = z.infer<typeof requestView>;

/** A target as the request form needs it. */
export const targetView = z.object({
  id: z.string(),
  description: z.string(),
  defaultDurationSeconds: z.number(),
  maxDurationSeconds: z.number(),
  requireReason: z.boolean(),
  requireTicket: z.boolean(),
  autoApprove: z.boolean(),
  /** The accounts the requester may pick, for a target granted per account (absent: no picker). */
  accounts: z.array(z.object({ id: z.string(), name: z.string().optional() })).optional(),
});
export type TargetView = z.infer<typeof targetView>;

export const rolesView = z.object({
  requester: z.boolean(),
  approver: z.boolean(),
  security: z.boolean(),
  auditor: z.boolean(),
});
export type RolesView = z.infer<typeof rolesView>;

/** GET /me. */
export const meResponse = z.object({
  person: z.string(),
  email: z.string().optional(),
  roles: rolesView,
  targets: z.array(targetView),
  /** Why this person has no AWS identity (they can look but not request). */
  identityProblem: z.string().optional(),
});
export type MeResponse = z.infer<typeof meResponse>;

/** GET /my-access. */
export const myAccessResponse = z.object({
  pending: z.array(requestView),
  live: z.array(z.object({ request: requestView, secondsLeft: z.number(), canGetCredentials: z.boolean() })),
});
export type MyAccessResponse = z.infer<typeof myAccessResponse>;

/** POST /requests and /grants/:id/extend: the outcome, or a refusal with the field at fault. */
export const submitResponse = z.union([
  z.object({ outcome: z.literal('refused'), message: z.string(), field: z.enum(FORM_FIELDS).optional() }),
  z.object({ outcome: z.enum(['pending', 'approved']), request: requestView }),
]);
export type SubmitResponse = z.infer<typeof submitResponse>;

/** GET /approvals: what waits for me, with the requester's recent history on that target. */
export const approvalsResponse = z.object({
  items: z.array(
    z.object({
      request: requestView,
      history: z.array(requestView),
      /** Whether I already gave my approval (M of N: others still have to). */
      approvedByMe: z.boolean(),
    }),
  ),
});
export type ApprovalsResponse = z.infer<typeof approvalsResponse>;

/** POST /approvals/:id/approve|deny. */
export const decisionResponse = z.object({
  outcome: z.enum(['approved', 'recorded', 'denied', 'refused']),
  message: z.string().optional(),
  approvals: z.number().optional(),
  required: z.number().optional(),
});
export type DecisionResponse = z.infer<typeof decisionResponse>;

/** POST /grants/:id/credentials: where to collect them once the worker minted them. */
export const credentialsTicketResponse = z.object({ ticket: z.string() });

/** GET /credentials/:ticket: pending, the credentials (once), or why there are none. */
export const credentialsResponse = z.union([
  z.object({ state: z.literal('pending') }),
  z.object({ state: z.literal('failed'), message: z.string() }),
  z.object({
    state: z.literal('ready'),
    accessKeyId: z.string(),
    secretAccessKey: z.string(),
    sessionToken: z.string(),
    expiration: z.string(),
    consoleUrl: z.string().optional(),
    consoleLinkError: z.string().optional(),
  }),
]);
export type CredentialsResponse = z.infer<typeof credentialsResponse>;

/**
 * The front door an audit event came through, as the explorer filters by it: Slack, the SigV4
 * request API (`api` for a person the policy maps a caller to, `cli` for an AWS principal acting
 * as itself, as the `jit` CLI does), this console, or the broker itself (`system:` actors).
 */
export const AUDIT_CHANNELS = ['slack', 'api', 'console', 'cli', 'system'] as const;
export type AuditChannel = (typeof AUDIT_CHANNELS)[number];

/** An audit event as the explorer shows it. */
export const auditEventView = z.object({
  at: z.string(),
  type: z.string(),
  actor: z.string(),
  subject: z.string(),
  targetId: z.string(),
  requestId: z.string(),
  fromStatus: status.optional(),
  toStatus: status.optional(),
  reason: z.string().optional(),
  ticket: z.string().optional(),
  breakGlass: z.boolean(),
  awsRequestId: z.string().optional(),
  channel: z.enum(AUDIT_CHANNELS),
  chain: z.string(),
  seq: z.number(),
});
export type AuditEventView = z.infer<typeof auditEventView>;

/** GET /audit/events: one page, newest first. */
export const auditPageResponse = z.object({ items: z.array(auditEventView), cursor: z.string().optional() });
export type AuditPageResponse = z.infer<typeof auditPageResponse>;

/** GET /audit/verify, summarised. */
export const verifyResponse = z.object({
  ok: z.boolean(),
  chains: z.number(),
  events: z.number(),
  breaks: z.number(),
  misplaced: z.number(),
  /** Audit digests that differ from the trail, are missing or cannot be read (`verify`'s digest findings). */
  digestFindings: z.array(z.string()),
  warnings: z.array(z.string()),
});
export type VerifyResponse = z.infer<typeof verifyResponse>;

const count = z.object({ key: z.string(), count: z.number() });

/** GET /dashboard. */
export const dashboardResponse = z.object({
  since: z.string(),
  accessNow: z.array(
    z.object({ requester: z.string(), targetId: z.string(), endsAt: z.string(), breakGlass: z.boolean() }),
  ),
  grantsPerDay: z.array(z.object({ day: z.string(), targetId: z.string(), count: z.number() })),
  breakGlassPerWeek: z.array(z.object({ week: z.string(), count: z.number() })),
  unreviewedBreakGlass: z.array(requestView),
  approvalLatencySeconds: z.object({ p50: z.number().optional(), p95: z.number().optional(), n: z.number() }),
  topRequesters: z.array(count),
  topTargets: z.array(count),
});
export type DashboardResponse = z.infer<typeof dashboardResponse>;

/** Every error answer: a stable code and a message safe to show. */
export const errorResponse = z.object({ error: z.string(), message: z.string() });
export type ErrorResponse = z.infer<typeof errorResponse>;

/** The audit explorer's filters: the auditors' query (audit-query.ts) plus the export format. */
export const EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
