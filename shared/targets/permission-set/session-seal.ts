/**
 * The session seal of a permission set, pure: removing an account assignment leaves the
 * person's portal sessions alive for up to the set's session duration, so on every end the
 * broker adds to the set's inline policy a statement denying everything to that Identity
 * Center user in that account for sessions issued before the end
 * (`identitystore:UserId`, `aws:PrincipalAccount`, `aws:TokenIssueTime`), and drops each such
 * statement once no session it covers can still be valid. Statements of the broker have a
 * `JitSeal` Sid; any other statement of the inline policy is kept as it is.
 */

/** The most characters an inline policy of a permission set may hold (IAM Identity Center quota). */
export const MAX_INLINE_POLICY_CHARS = 32_768;

/** The Sid prefix of the broker's statements (the rest of the inline policy is left alone). */
export const SEAL_SID_PREFIX = 'JitSeal';

/** One sealed person in one account: sessions issued before `before` are denied. */
export interface Seal {
  readonly userId: string;
  readonly accountId: string;
  readonly before: Date;
}

interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: unknown;
  readonly Resource?: unknown;
  readonly Condition?: Record<string, Record<string, string>>;
  readonly [key: string]: unknown;
}

interface PolicyDocument {
  readonly Version: string;
  readonly Statement: readonly Statement[];
}

/** The Sid of the seal of `userId` in `accountId` (alphanumeric, as IAM requires). */
export function sealSid(userId: string, accountId: string): string {
  return `${SEAL_SID_PREFIX}${accountId}${userId.replace(/[^A-Za-z0-9]/g, '')}`;
}

/** The deny statement of `seal`. */
export function sealStatement(seal: Seal): Statement {
  return {
    Sid: sealSid(seal.userId, seal.accountId),
    Effect: 'Deny',
    Action: '*',
    Resource: '*',
    Condition: {
      StringEquals: { 'identitystore:UserId': seal.userId, 'aws:PrincipalAccount': seal.accountId },
      DateLessThan: { 'aws:TokenIssueTime': seal.before.toISOString() },
    },
  };
}

function parse(text: string | undefined): PolicyDocument {
  if (text === undefined || text.trim() === '') return { Version: '2012-10-17', Statement: [] };
  const parsed = JSON.parse(text) as { Version?: string; Statement?: Statement | Statement[] };
  const statements = parsed.Statement === undefined ? [] : [parsed.Statement].flat();
  return { Version: parsed.Version ?? '2012-10-17', Statement: statements };
}

function isSeal(statement: Statement): boolean {
  return statement.Sid?.startsWith(SEAL_SID_PREFIX) === true;
}

function sealedBefore(statement: Statement): number {
  return Date.parse(statement.Condition?.DateLessThan?.['aws:TokenIssueTime'] ?? '');
}

/** What sealing (or pruning) makes of an inline policy. */
export interface SealedPolicy {
  /** The new policy text, or undefined when no statement is left (the inline policy goes). */
  readonly document: string | undefined;
  /** Whether it differs from the policy read. */
  readonly changed: boolean;
  /** Seal statements dropped because no session they cover can still be valid. */
  readonly pruned: number;
  /** Whether the seal did not fit (the policy is left as pruned, without it). */
  readonly full: boolean;
}

/**
 * The inline policy `current` with `seal` added (a seal of the same person and account moves
 * only forward in time) and the seals older than `sessionSeconds` before `now` pruned. When the
 * result would pass {@link MAX_INLINE_POLICY_CHARS}, the seal is left out and `full` is set.
 */
export function sealPolicy(
  current: string | undefined,
  seal: Seal | undefined,
  options: { readonly now: Date; readonly sessionSeconds: number },
): SealedPolicy {
  const doc = parse(current);
  const horizon = options.now.getTime() - options.sessionSeconds * 1000;
  // Why: a session issued before `before` lives at most the session duration, so once
  // `before` is older than that, the statement can no longer deny anything.
  const kept = doc.Statement.filter((s) => !isSeal(s) || sealedBefore(s) > horizon);
  const pruned = doc.Statement.length - kept.length;
  let statements = kept;
  let full = false;
  if (seal !== undefined) {
    const added = sealStatement(seal);
    const existing = kept.find((s) => s.Sid === added.Sid);
    if (existing === undefined || sealedBefore(existing) < seal.before.getTime()) {
      const withSeal = [...kept.filter((s) => s.Sid !== added.Sid), added];
      if (render({ ...doc, Statement: withSeal })!.length > MAX_INLINE_POLICY_CHARS) full = true;
      else statements = withSeal;
    }
  }
  const document = render({ ...doc, Statement: statements });
  const before = current === undefined || current.trim() === '' ? undefined : render(parse(current));
  return { document, changed: document !== before, pruned, full };
}

function render(doc: PolicyDocument): string | undefined {
  return doc.Statement.length === 0 ? undefined : JSON.stringify(doc);
}
