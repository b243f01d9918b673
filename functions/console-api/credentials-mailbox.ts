import { randomBytes } from 'node:crypto';
import type { CredentialsResponse } from '../../shared/api/console-schema.js';
import type { Clock, CredentialsDelivery, GrantJob, IssuedCredentials } from '../../shared/domain/ports.js';

type IssueJob = Extract<GrantJob, { kind: 'issue-credentials' }>;

/** How the console writes "hand them to this console ticket" into a job's opaque `replyTo`. */
const CONSOLE_REPLY_PREFIX = 'console-ticket:';

/** How long minted credentials wait for their collector before they are dropped. */
export const MAILBOX_TTL_SECONDS = 120;

interface Slot {
  readonly owner: string;
  readonly until: number;
  answer?: Exclude<CredentialsResponse, { state: 'pending' }>;
}

/**
 * Where the grant worker leaves credentials a console user asked for, until that user collects
 * them once. In memory only (the local broker runs the worker in the same process): never
 * written to disk or a table, never logged, gone on first read or after MAILBOX_TTL_SECONDS.
 */
export class ConsoleCredentialsMailbox implements CredentialsDelivery {
  private readonly slots = new Map<string, Slot>();

  constructor(private readonly clock: Clock) {}

  /** Whether a job's `replyTo` names a console ticket (the routing delivery asks). */
  static handles(replyTo: string): boolean {
    return replyTo.startsWith(CONSOLE_REPLY_PREFIX);
  }

  /** A new ticket for `owner` (a person key) and the `replyTo` to put in the job. */
  open(owner: string): { ticket: string; replyTo: string } {
    this.expire();
    const ticket = randomBytes(24).toString('base64url');
    this.slots.set(ticket, { owner, until: this.clock.now().getTime() + MAILBOX_TTL_SECONDS * 1000 });
    return { ticket, replyTo: `${CONSOLE_REPLY_PREFIX}${ticket}` };
  }

  /**
   * What the ticket holds for `owner`: pending, or the answer (removed as it is read).
   * Why the owner check: a ticket leaked to someone else must not hand them the credentials.
   */
  collect(ticket: string, owner: string): CredentialsResponse | undefined {
    this.expire();
    const slot = this.slots.get(ticket);
    if (!slot || slot.owner !== owner) return undefined;
    if (!slot.answer) return { state: 'pending' };
    this.slots.delete(ticket);
    return slot.answer;
  }

  async deliver(job: IssueJob, _grant: unknown, credentials: IssuedCredentials): Promise<void> {
    this.fill(job, {
      state: 'ready',
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
      expiration: credentials.expiration.toISOString(),
      ...(credentials.consoleUrl === undefined ? {} : { consoleUrl: credentials.consoleUrl }),
      ...(credentials.consoleLinkError === undefined
        ? {}
        : { consoleLinkError: credentials.consoleLinkError }),
    });
  }

  async deliverFailure(job: IssueJob, message: string): Promise<void> {
    this.fill(job, { state: 'failed', message });
  }

  private fill(job: IssueJob, answer: NonNullable<Slot['answer']>): void {
    const slot = this.slots.get(job.replyTo.slice(CONSOLE_REPLY_PREFIX.length));
    // A ticket that expired or was never opened: the credentials are dropped, not kept.
    if (slot && slot.owner === job.requester) slot.answer = answer;
  }

  private expire(): void {
    const now = this.clock.now().getTime();
    for (const [ticket, slot] of this.slots) if (slot.until <= now) this.slots.delete(ticket);
  }
}

/** A delivery that sends console tickets to the mailbox and everything else to `fallback` (Slack). */
export function routeCredentials(
  mailbox: ConsoleCredentialsMailbox,
  fallback: CredentialsDelivery,
): CredentialsDelivery {
  const pick = (job: IssueJob) => (ConsoleCredentialsMailbox.handles(job.replyTo) ? mailbox : fallback);
  return {
    deliver: (job, grant, credentials) => pick(job).deliver(job, grant, credentials),
    deliverFailure: (job, message) => pick(job).deliverFailure(job, message),
  };
}
