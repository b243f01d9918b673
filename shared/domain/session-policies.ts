import { createHash } from 'node:crypto';
import { ValidationError } from './errors.js';

/**
 * The IAM documents and STS parameters of role grants, built here as pure values so that
 * what the broker sends to AWS can be read and tested without AWS.
 *
 * - A role session carries a session policy that allows nothing once `aws:CurrentTime`
 *   reaches the grant's end, so the session dies at the end to the second even when STS's
 *   900-second minimum outlives the grant.
 * - An early revoke adds a statement to one inline deny policy on the role that denies
 *   every session of that person (`aws:SourceIdentity`) issued before the revoke
 *   (`aws:TokenIssueTime`). A statement is pruned once no session it covers can still be
 *   valid (the role's maximum session duration plus a margin after the revoke).
 */

/** STS refuses sessions shorter than this. */
export const STS_MIN_SESSION_SECONDS = 900;
/** The name of the inline role policy holding the early-revoke denies. */
export const REVOKE_POLICY_NAME = 'jit-revoke-sessions';
/** Sid prefix of the broker's revoke statements; other statements are left as they are. */
export const REVOKE_SID_PREFIX = 'JitRevoke';
/** Extra time a revoke statement is kept beyond the role's max session, for clock skew. */
export const DEFAULT_REVOKE_MARGIN_SECONDS = 300;
/** IAM's limit on the total size of a role's inline policies (characters, whitespace excluded). */
export const INLINE_ROLE_POLICY_LIMIT = 10_240;

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

/** An IAM date: ISO-8601 in UTC to the second (sub-second precision is dropped). */
export function iamDate(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}

/**
 * The session policy of a role grant: the role's own permissions, but only while
 * `aws:CurrentTime` is before the grant's end. (A session policy can only narrow the role's
 * permissions, so `*` here never grants more than the role has.)
 */
export function sessionPolicy(endsAt: Date): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'JitGrantWindow',
        Effect: 'Allow',
        Action: '*',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:CurrentTime': iamDate(endsAt) } },
      },
    ],
  };
}

/**
 * The `DurationSeconds` of an AssumeRole call at `now` for a grant ending at `endsAt`:
 * what remains of the grant, raised to STS's minimum (the session policy ends it on time
 * anyway) and capped by the role's maximum session duration.
 * Throws ValidationError when nothing remains.
 */
export function sessionDurationSeconds(now: Date, endsAt: Date, roleMaxSeconds: number): number {
  const remaining = Math.floor((endsAt.getTime() - now.getTime()) / 1000);
  if (remaining <= 0) throw new ValidationError('This grant has ended; no credentials can be issued.');
  return Math.min(
    Math.max(remaining, STS_MIN_SESSION_SECONDS),
    Math.max(roleMaxSeconds, STS_MIN_SESSION_SECONDS),
  );
}

const SESSION_NAME_CHARS = /[^\w+=,.@-]/g;
const SESSION_NAME_MAX = 64;

/**
 * `RoleSessionName` naming the requester and the grant: `<principal>@<grantId>`, with the
 * principal shortened (never the grant id) to fit STS's 64 characters. CloudTrail shows it
 * in every assumed-role ARN.
 */
export function roleSessionName(principal: string, grantId: string): string {
  const id = grantId.replace(SESSION_NAME_CHARS, '-').slice(0, SESSION_NAME_MAX - 3);
  const who = principal.replace(SESSION_NAME_CHARS, '-').slice(0, SESSION_NAME_MAX - id.length - 1) || 'jit';
  return `${who}@${id}`;
}

export interface SessionTag {
  readonly Key: string;
  readonly Value: string;
}

const TAG_VALUE_CHARS = /[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu;

/** Session tags of a role session: which grant and which person (`aws:PrincipalTag/...`). */
export function sessionTags(input: { grantId: string; principal: string; requester: string }): SessionTag[] {
  const value = (v: string) => v.replace(TAG_VALUE_CHARS, '-').slice(0, 256);
  return [
    { Key: 'jit-grant-id', Value: value(input.grantId) },
    { Key: 'jit-requester', Value: value(input.principal) },
    { Key: 'jit-slack-user', Value: value(input.requester) },
  ];
}

/** The role name of a role ARN (the last path segment): `arn:aws:iam::1:role/jit/Ops` → `Ops`. */
export function roleNameFromArn(roleArn: string): string {
  const resource = roleArn.split(':').slice(5).join(':');
  const name = resource.split('/').pop();
  if (!resource.startsWith('role/') || !name) throw new ValidationError(`${roleArn} is not an IAM role ARN.`);
  return name;
}

/** A Sid for one person's revoke statement: alphanumeric (IAM's rule), stable per person. */
export function revokeSid(principal: string): string {
  return REVOKE_SID_PREFIX + createHash('sha256').update(principal).digest('hex').slice(0, 24);
}

/** The statement that ends every session of `principal` on the role issued before `before`. */
export function revokeStatement(principal: string, before: Date): PolicyStatement {
  return {
    Sid: revokeSid(principal),
    Effect: 'Deny',
    Action: '*',
    Resource: '*',
    Condition: {
      DateLessThan: { 'aws:TokenIssueTime': iamDate(before) },
      StringEquals: { 'aws:SourceIdentity': principal },
    },
  };
}

function isRevokeStatement(s: PolicyStatement): boolean {
  return typeof s.Sid === 'string' && s.Sid.startsWith(REVOKE_SID_PREFIX);
}

function issuedBeforeOf(s: PolicyStatement): Date | undefined {
  const value = s.Condition?.DateLessThan?.['aws:TokenIssueTime'];
  if (typeof value !== 'string') return undefined;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

export interface RevokeWindow {
  /** The role's maximum session duration: no session outlives its issue time by more. */
  readonly maxSessionSeconds: number;
  readonly marginSeconds?: number;
}

/** Whether a revoke statement can still matter at `now` (some session it covers may be valid). */
function stillCovers(s: PolicyStatement, now: Date, window: RevokeWindow): boolean {
  const before = issuedBeforeOf(s);
  if (!before) return true; // unreadable: keep it rather than silently re-enable a session
  const margin = window.marginSeconds ?? DEFAULT_REVOKE_MARGIN_SECONDS;
  return now.getTime() < before.getTime() + (window.maxSessionSeconds + margin) * 1000;
}

/**
 * Reads a stored policy document (as returned by GetRolePolicy, URL-decoded) leniently:
 * a single statement object is accepted as a one-element list.
 */
export function parsePolicyDocument(text: string): PolicyDocument {
  const raw = JSON.parse(text) as { Version?: string; Statement?: PolicyStatement | PolicyStatement[] };
  const statements =
    raw.Statement === undefined ? [] : Array.isArray(raw.Statement) ? raw.Statement : [raw.Statement];
  return { Version: '2012-10-17', Statement: statements };
}

/**
 * The revoke policy after revoking `principal` at `before`, pruned at `now`. A person has at
 * most one statement: a later revoke moves its time forward (it covers every earlier one).
 * Returns undefined when no statement remains (the policy is to be deleted).
 */
export function withRevoke(
  existing: PolicyDocument | undefined,
  revoke: { principal: string; before: Date },
  now: Date,
  window: RevokeWindow,
): PolicyDocument {
  const sid = revokeSid(revoke.principal);
  const previous = existing?.Statement.find((s) => s.Sid === sid);
  const previousBefore = previous ? issuedBeforeOf(previous) : undefined;
  const before = previousBefore && previousBefore > revoke.before ? previousBefore : revoke.before;
  const others = (pruneRevokes(existing, now, window)?.Statement ?? []).filter((s) => s.Sid !== sid);
  return { Version: '2012-10-17', Statement: [...others, revokeStatement(revoke.principal, before)] };
}

/**
 * The revoke policy without the statements that can no longer matter at `now`.
 * Undefined when nothing remains. Statements the broker did not write are kept.
 */
export function pruneRevokes(
  existing: PolicyDocument | undefined,
  now: Date,
  window: RevokeWindow,
): PolicyDocument | undefined {
  if (!existing) return undefined;
  const kept = existing.Statement.filter((s) => !isRevokeStatement(s) || stillCovers(s, now, window));
  return kept.length === 0 ? undefined : { Version: '2012-10-17', Statement: kept };
}

/** Whether `document` denies sessions of `principal` issued before `before` (or later). */
export function coversRevoke(
  document: PolicyDocument | undefined,
  revoke: { principal: string; before: Date },
): boolean {
  const statement = document?.Statement.find((s) => s.Sid === revokeSid(revoke.principal));
  const at = statement ? issuedBeforeOf(statement) : undefined;
  return at !== undefined && iamDate(at) >= iamDate(revoke.before);
}

/** The compact JSON IAM receives; throws when it exceeds IAM's inline policy size. */
export function policyJson(document: PolicyDocument): string {
  const text = JSON.stringify(document);
  if (text.length > INLINE_ROLE_POLICY_LIMIT) {
    throw new ValidationError(
      `The revoke policy would be ${text.length} characters, over IAM's ${INLINE_ROLE_POLICY_LIMIT}.`,
    );
  }
  return text;
}
