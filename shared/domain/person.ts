import type { OnCallShift } from './on-call.js';
import { controlCharacterProblem } from './text.js';

/**
 * Who a person is, independent of the channel they came through: a provider-qualified id.
 *
 * Canonical form (what `personKey` returns, what requests store as `requester`, approvals as
 * `approver` and the audit trail as `actor`):
 * - a Slack person is their bare Slack user id, `U0DEV00001`. That is the shorthand every
 *   stored request and every hash-chained audit event already holds; those cannot be rewritten
 *   and a by-person query must keep finding old events, so Slack stays unqualified;
 * - every other provider is qualified: `oidc:alice@example.com`, `cli:arn:aws:iam::…:user/x`.
 *
 * `slack:U0DEV00001` is accepted as input and means the same person as `U0DEV00001`. Slack ids
 * never contain `:`, so a string without one is a Slack id and the form is unambiguous; the id
 * part of a qualified form may itself hold `:` (ARNs do): only the first one separates.
 */

/** The identity providers a person can come from. */
export const PERSON_PROVIDERS = ['slack', 'oidc', 'cli'] as const;
export type PersonProvider = (typeof PERSON_PROVIDERS)[number];

/** A person: a provider and the id the provider knows them by. Compare with `samePerson`. */
export interface Person {
  readonly provider: PersonProvider;
  readonly id: string;
}

/** A Slack user id (`U…`, or `W…` on Enterprise Grid). */
export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;
/** An IAM or STS principal ARN, as a CLI caller proves with its AWS credentials. */
const AWS_PRINCIPAL_ARN = /^arn:aws[a-z-]*:(iam|sts)::\d{12}:[\w+=,.@/-]{1,512}$/;
/** OIDC subjects are opaque strings; bounded, printable and without spaces. */
const MAX_OIDC_SUBJECT = 255;

/** What is wrong with `id` as an id of `provider`, or undefined when it is a valid one. */
function idProblem(provider: PersonProvider, id: string): string | undefined {
  switch (provider) {
    case 'slack':
      return SLACK_USER_ID.test(id) ? undefined : 'is not a Slack user id (U…)';
    case 'cli':
      return AWS_PRINCIPAL_ARN.test(id) ? undefined : 'is not an IAM or STS principal ARN';
    case 'oidc': {
      if (id.length === 0 || id.length > MAX_OIDC_SUBJECT)
        return `is not an OIDC subject (1 to ${MAX_OIDC_SUBJECT} characters)`;
      // Why: person ids are shown to approvers and auditors; hidden characters would disguise one.
      if (/\s/.test(id) || controlCharacterProblem('the id', id, { multiline: false }))
        return 'is not an OIDC subject (printable, without spaces)';
      return undefined;
    }
  }
}

function isProvider(text: string): text is PersonProvider {
  return (PERSON_PROVIDERS as readonly string[]).includes(text);
}

/**
 * Reads a person from its canonical or qualified form, or says what is wrong with it.
 * `U0DEV00001` and `slack:U0DEV00001` give the same person.
 */
export function tryParsePerson(text: string): { person: Person } | { problem: string } {
  const colon = text.indexOf(':');
  const provider = colon < 0 ? 'slack' : text.slice(0, colon);
  const id = colon < 0 ? text : text.slice(colon + 1);
  if (!isProvider(provider)) {
    return { problem: `is not a Slack user id (U…) or a person qualified by ${PERSON_PROVIDERS.join(', ')}` };
  }
  const problem = idProblem(provider, id);
  return problem === undefined ? { person: Object.freeze({ provider, id }) } : { problem };
}

/** Reads a person (see tryParsePerson); throws a TypeError on anything else. */
export function parsePerson(text: string): Person {
  const result = tryParsePerson(text);
  if ('problem' in result) throw new TypeError(`${JSON.stringify(text)} ${result.problem}`);
  return result.person;
}

/** The Slack person with this user id. */
export function slackPerson(userId: string): Person {
  return parsePerson(userId);
}

/** The canonical form of a person: the bare id for Slack, `provider:id` for every other provider. */
export function personKey(person: Person): string {
  return person.provider === 'slack' ? person.id : `${person.provider}:${person.id}`;
}

/** The canonical form of a person written as text (`slack:U1` → `U1`), or undefined if it is none. */
export function canonicalPersonKey(text: string): string | undefined {
  const result = tryParsePerson(text);
  return 'person' in result ? personKey(result.person) : undefined;
}

/** Whether two persons are the same person. */
export function samePerson(a: Person, b: Person): boolean {
  return a.provider === b.provider && a.id === b.id;
}

/**
 * A person as the policy sees them when deciding: who they are, their email when the
 * provider gave one, and their groups (Slack user groups for a Slack person, IdP groups for
 * others). Resolved by a PersonDirectory (see ports.ts); decisions never look anything up.
 */
export interface ResolvedPerson {
  readonly person: Person;
  readonly email?: string;
  readonly groups: readonly string[];
  /**
   * The on-call people sets (by set name) the person is on call for now, with their shift;
   * resolved by the use cases through an OnCallRoster. Absent: on call for none.
   */
  readonly onCall?: Readonly<Record<string, OnCallShift>>;
}
