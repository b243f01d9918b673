import { randomBytes } from 'node:crypto';
import type { CredentialsResponse } from '../api/console-schema.js';
import type { CredentialsDelivery, GrantJob, IssuedCredentials } from '../domain/ports.js';

/** The `issue-credentials` job a delivery receives. */
export type IssueCredentialsJob = Extract<GrantJob, { kind: 'issue-credentials' }>;

/** What a mailbox slot ends up holding: the credentials, or why there are none. */
export type MailboxAnswer = Exclude<CredentialsResponse, { state: 'pending' }>;

/** How the console writes "hand them to this console ticket" into a job's opaque `replyTo`. */
const CONSOLE_REPLY_PREFIX = 'console-ticket:';

/** How long minted credentials wait for their collector before they are dropped. */
export const MAILBOX_TTL_SECONDS = 120;

/**
 * Where the grant worker leaves credentials a console user asked for, until that user collects
 * them once: the console opens a ticket for its caller, puts the ticket's `replyTo` in the
 * `issue-credentials` job, and polls `collect` until the worker delivered. Implementations:
 * in memory (the local broker, functions/console-api/credentials-mailbox.ts) and DynamoDB (AWS,
 * shared/adapters/dynamodb/credentials-mailbox.ts).
 */
export interface CredentialsMailbox extends CredentialsDelivery {
  /** A new ticket for `owner` (a person key) and the `replyTo` to put in the job. */
  open(owner: string): Promise<{ ticket: string; replyTo: string }>;
  /**
   * What the ticket holds for `owner`: pending, or the answer (removed as it is read, so it is
   * handed out once); undefined for an unknown, expired or collected ticket, or another owner's.
   */
  collect(ticket: string, owner: string): Promise<CredentialsResponse | undefined>;
}

/** A fresh, unguessable ticket (192 random bits) and the job's `replyTo` naming it. */
export function newConsoleTicket(): { ticket: string; replyTo: string } {
  const ticket = randomBytes(24).toString('base64url');
  return { ticket, replyTo: `${CONSOLE_REPLY_PREFIX}${ticket}` };
}

/** The console ticket a job's `replyTo` names, or undefined when it names something else (Slack). */
export function consoleTicketOf(replyTo: string): string | undefined {
  return replyTo.startsWith(CONSOLE_REPLY_PREFIX) ? replyTo.slice(CONSOLE_REPLY_PREFIX.length) : undefined;
}

/** The mailbox answer for minted credentials (what the console's dialog shows). */
export function readyAnswer(credentials: IssuedCredentials): MailboxAnswer {
  return {
    state: 'ready',
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.secretAccessKey,
    sessionToken: credentials.sessionToken,
    expiration: credentials.expiration.toISOString(),
    ...(credentials.consoleUrl === undefined ? {} : { consoleUrl: credentials.consoleUrl }),
    ...(credentials.consoleLinkError === undefined ? {} : { consoleLinkError: credentials.consoleLinkError }),
  };
}

/** A delivery that sends console tickets to the mailbox and everything else to `fallback` (Slack). */
export function routeCredentials(
  mailbox: CredentialsDelivery,
  fallback: CredentialsDelivery,
): CredentialsDelivery {
  const pick = (job: IssueCredentialsJob) =>
    consoleTicketOf(job.replyTo) === undefined ? fallback : mailbox;
  return {
    deliver: (job, grant, credentials) => pick(job).deliver(job, grant, credentials),
    deliverFailure: (job, message) => pick(job).deliverFailure(job, message),
  };
}
