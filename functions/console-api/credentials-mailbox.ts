import type { CredentialsResponse } from '../../shared/api/console-schema.js';
import {
  consoleTicketOf,
  MAILBOX_TTL_SECONDS,
  newConsoleTicket,
  readyAnswer,
  routeCredentials,
  type CredentialsMailbox,
  type IssueCredentialsJob,
  type MailboxAnswer,
} from '../../shared/adapters/credentials-mailbox.js';
import type { Clock, IssuedCredentials } from '../../shared/domain/ports.js';

export { MAILBOX_TTL_SECONDS, routeCredentials };

interface Slot {
  readonly owner: string;
  readonly until: number;
  answer?: MailboxAnswer;
}

/**
 * The local broker's credentials mailbox. In memory only (the local broker runs the worker in
 * the same process): never written to disk or a table, never logged, gone on first read or
 * after MAILBOX_TTL_SECONDS. In AWS the DynamoDB mailbox plays this part.
 */
export class ConsoleCredentialsMailbox implements CredentialsMailbox {
  private readonly slots = new Map<string, Slot>();

  constructor(private readonly clock: Clock) {}

  open(owner: string): Promise<{ ticket: string; replyTo: string }> {
    this.expire();
    const opened = newConsoleTicket();
    this.slots.set(opened.ticket, { owner, until: this.clock.now().getTime() + MAILBOX_TTL_SECONDS * 1000 });
    return Promise.resolve(opened);
  }

  /** Why the owner check: a ticket leaked to someone else must not hand them the credentials. */
  collect(ticket: string, owner: string): Promise<CredentialsResponse | undefined> {
    this.expire();
    const slot = this.slots.get(ticket);
    if (!slot || slot.owner !== owner) return Promise.resolve(undefined);
    if (!slot.answer) return Promise.resolve({ state: 'pending' });
    this.slots.delete(ticket);
    return Promise.resolve(slot.answer);
  }

  deliver(job: IssueCredentialsJob, _grant: unknown, credentials: IssuedCredentials): Promise<void> {
    this.fill(job, readyAnswer(credentials));
    return Promise.resolve();
  }

  deliverFailure(job: IssueCredentialsJob, message: string): Promise<void> {
    this.fill(job, { state: 'failed', message });
    return Promise.resolve();
  }

  private fill(job: IssueCredentialsJob, answer: MailboxAnswer): void {
    const slot = this.slots.get(consoleTicketOf(job.replyTo) ?? '');
    // A ticket that expired or was never opened: the credentials are dropped, not kept.
    if (slot && slot.owner === job.requester) slot.answer = answer;
  }

  private expire(): void {
    const now = this.clock.now().getTime();
    for (const [ticket, slot] of this.slots) if (slot.until <= now) this.slots.delete(ticket);
  }
}
