import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { credentialsResponse, type CredentialsResponse } from '../../api/console-schema.js';
import type { Clock, IssuedCredentials } from '../../domain/ports.js';
import {
  consoleTicketOf,
  MAILBOX_TTL_SECONDS,
  newConsoleTicket,
  readyAnswer,
  type CredentialsMailbox,
  type IssueCredentialsJob,
  type MailboxAnswer,
} from '../credentials-mailbox.js';
import { CREDENTIALS_MAILBOX_TABLE } from './tables.js';
import { isConditionalCheckFailure } from './transactions.js';

/** Attribute names as placeholders (some are DynamoDB reserved words). */
const NAMES = {
  '#owner': 'owner',
  '#ttl': CREDENTIALS_MAILBOX_TABLE.ttlAttribute!,
  '#answer': 'answer',
  '#collectedAt': 'collectedAt',
};

/** One ticket's item: who may collect it, until when, and (once delivered) the answer. */
interface MailboxItem {
  readonly ticket: string;
  readonly owner: string;
  /** Epoch seconds: the table's TTL attribute, and the cut-off every read and write checks. */
  readonly expiresAt: number;
  readonly answer?: unknown;
  /** Set when the answer was handed out (the answer itself is gone then). */
  readonly collectedAt?: string;
}

/**
 * The console's credentials mailbox in AWS, over its DynamoDB table (CREDENTIALS_MAILBOX_TABLE):
 * the console API opens a ticket (PutItem: owner and expiry), the grant worker fills it
 * (UpdateItem, only an open, unexpired, unfilled ticket of the job's requester), the console API
 * collects it (UpdateItem that REMOVEs the answer, conditional on the owner and expiry, so the
 * credentials are handed out once). Expired items are ignored by every call and removed by the
 * table's TTL. At rest the credentials are encrypted by the table's encryption (AWS managed
 * key); they live there for at most MAILBOX_TTL_SECONDS, and are never logged.
 */
export class DynamoCredentialsMailbox implements CredentialsMailbox {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
    private readonly ttlSeconds: number = MAILBOX_TTL_SECONDS,
  ) {}

  async open(owner: string): Promise<{ ticket: string; replyTo: string }> {
    const opened = newConsoleTicket();
    const item: MailboxItem = {
      ticket: opened.ticket,
      owner,
      expiresAt: this.nowSeconds() + this.ttlSeconds,
    };
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(#ticket)',
        ExpressionAttributeNames: { '#ticket': 'ticket' },
      }),
    );
    return opened;
  }

  async collect(ticket: string, owner: string): Promise<CredentialsResponse | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { ticket }, ConsistentRead: true }),
    );
    const item = Item as MailboxItem | undefined;
    // Why the owner check: a ticket leaked to someone else must not hand them the credentials.
    if (!item || item.owner !== owner || item.expiresAt <= this.nowSeconds() || item.collectedAt) {
      return undefined;
    }
    if (item.answer === undefined) return { state: 'pending' };
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { ticket },
          // Why conditional: of two concurrent collections only one gets the answer.
          ConditionExpression: '#owner = :owner AND #ttl > :now AND attribute_exists(#answer)',
          UpdateExpression: 'REMOVE #answer SET #collectedAt = :at',
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: {
            ':owner': owner,
            ':now': this.nowSeconds(),
            ':at': this.clock.now().toISOString(),
          },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return credentialsResponse.parse((Attributes as MailboxItem).answer);
    } catch (error) {
      if (isConditionalCheckFailure(error)) return undefined;
      throw error;
    }
  }

  async deliver(job: IssueCredentialsJob, _grant: unknown, credentials: IssuedCredentials): Promise<void> {
    await this.fill(job, readyAnswer(credentials));
  }

  async deliverFailure(job: IssueCredentialsJob, message: string): Promise<void> {
    await this.fill(job, { state: 'failed', message });
  }

  private async fill(job: IssueCredentialsJob, answer: MailboxAnswer): Promise<void> {
    const ticket = consoleTicketOf(job.replyTo);
    if (ticket === undefined) return;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { ticket },
          // Why: only a ticket the requester opened, still open and never filled, takes credentials;
          // a forged or replayed job cannot create an item or fill one twice.
          ConditionExpression:
            'attribute_exists(#ticket) AND #owner = :owner AND #ttl > :now AND attribute_not_exists(#answer) AND attribute_not_exists(#collectedAt)',
          UpdateExpression: 'SET #answer = :answer',
          ExpressionAttributeNames: { ...NAMES, '#ticket': 'ticket' },
          ExpressionAttributeValues: {
            ':owner': job.requester,
            ':now': this.nowSeconds(),
            ':answer': answer,
          },
        }),
      );
    } catch (error) {
      // A ticket that expired, was never opened or is someone else's: the credentials are dropped.
      if (!isConditionalCheckFailure(error)) throw error;
    }
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now().getTime() / 1000);
  }
}
