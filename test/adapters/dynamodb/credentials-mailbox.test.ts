import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { routeCredentials, type IssueCredentialsJob } from '../../../shared/adapters/credentials-mailbox.js';
import { DynamoCredentialsMailbox } from '../../../shared/adapters/dynamodb/credentials-mailbox.js';
import { CREDENTIALS_MAILBOX_TABLE, createTableInput } from '../../../shared/adapters/dynamodb/tables.js';
import type { AccessRequest } from '../../../shared/domain/request.js';
import type { IssuedCredentials } from '../../../shared/domain/ports.js';
import { ManualClock } from '../../support/fakes.js';
import { localDynamoClient } from '../../support/local-dynamo.js';

const CREDENTIALS: IssuedCredentials = {
  accessKeyId: 'ASIAEXAMPLEKEY',
  secretAccessKey: 'secret-access-key-example',
  sessionToken: 'session-token-example',
  expiration: new Date('2026-11-27T10:00:00.000Z'),
  consoleUrl: 'https://signin.aws.amazon.com/federation?Action=login',
};
const GRANT = {} as AccessRequest;
const job = (replyTo: string, requester = 'alice'): IssueCredentialsJob => ({
  kind: 'issue-credentials',
  requestId: 'req-0001',
  requester,
  replyTo,
});

let client: DynamoDBClient;
let doc: DynamoDBDocumentClient;
let tableName: string;
let clock: ManualClock;
let mailbox: DynamoCredentialsMailbox;

beforeEach(async () => {
  client = localDynamoClient();
  doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  tableName = `t${randomUUID().slice(0, 8)}-credentials-mailbox`;
  await client.send(new CreateTableCommand(createTableInput(CREDENTIALS_MAILBOX_TABLE, tableName)));
  clock = new ManualClock();
  mailbox = new DynamoCredentialsMailbox(doc, tableName, clock, 120);
});
afterEach(async () => {
  await client.send(new DeleteTableCommand({ TableName: tableName }));
  client.destroy();
});

const stored = async (ticket: string) =>
  (await doc.send(new GetCommand({ TableName: tableName, Key: { ticket }, ConsistentRead: true }))).Item;

describe('the DynamoDB credentials mailbox', () => {
  it('hands a delivered set to its owner once, and keeps no credentials after collection', async () => {
    const { ticket, replyTo } = await mailbox.open('alice');
    expect(await mailbox.collect(ticket, 'alice')).toEqual({ state: 'pending' });

    await mailbox.deliver(job(replyTo), GRANT, CREDENTIALS);
    expect(await mailbox.collect(ticket, 'alice')).toEqual({
      state: 'ready',
      accessKeyId: 'ASIAEXAMPLEKEY',
      secretAccessKey: 'secret-access-key-example',
      sessionToken: 'session-token-example',
      expiration: '2026-11-27T10:00:00.000Z',
      consoleUrl: 'https://signin.aws.amazon.com/federation?Action=login',
    });
    expect(await mailbox.collect(ticket, 'alice')).toBeUndefined();
    const item = await stored(ticket);
    expect(JSON.stringify(item)).not.toMatch(
      /secret-access-key-example|session-token-example|ASIAEXAMPLEKEY/,
    );
    expect(item).toMatchObject({ owner: 'alice', collectedAt: clock.now().toISOString() });

    // A redelivered job (SQS retry) cannot fill the collected ticket again.
    await mailbox.deliver(job(replyTo), GRANT, CREDENTIALS);
    expect(await mailbox.collect(ticket, 'alice')).toBeUndefined();
  });

  it('refuses the set to another person, and leaves it for its owner', async () => {
    const { ticket, replyTo } = await mailbox.open('alice');
    await mailbox.deliver(job(replyTo), GRANT, CREDENTIALS);
    expect(await mailbox.collect(ticket, 'mallory')).toBeUndefined();
    expect(await mailbox.collect(ticket, 'alice')).toMatchObject({ state: 'ready' });
  });

  it('drops credentials for a ticket the job requester did not open, or never opened', async () => {
    const { ticket, replyTo } = await mailbox.open('alice');
    await mailbox.deliver(job(replyTo, 'mallory'), GRANT, CREDENTIALS);
    expect(await mailbox.collect(ticket, 'alice')).toEqual({ state: 'pending' });

    await mailbox.deliver(job('console-ticket:never-opened'), GRANT, CREDENTIALS);
    expect(await stored('never-opened')).toBeUndefined();
  });

  it('is gone after its time to live, delivered or not, before DynamoDB TTL removes the item', async () => {
    const collected = await mailbox.open('alice');
    await mailbox.deliver(job(collected.replyTo), GRANT, CREDENTIALS);
    const late = await mailbox.open('alice');
    clock.advance(121);
    expect(await mailbox.collect(collected.ticket, 'alice')).toBeUndefined();
    await mailbox.deliver(job(late.replyTo), GRANT, CREDENTIALS);
    expect(await mailbox.collect(late.ticket, 'alice')).toBeUndefined();
    expect((await stored(late.ticket))?.answer).toBeUndefined();
    // The TTL attribute DynamoDB deletes by, in epoch seconds.
    expect((await stored(collected.ticket))?.expiresAt).toBe(
      Math.floor(new Date('2026-11-27T09:00:00.000Z').getTime() / 1000) + 120,
    );
  });

  it('carries failures, and lets Slack tickets pass to the fallback delivery', async () => {
    const { ticket, replyTo } = await mailbox.open('alice');
    const slack: string[] = [];
    const routed = routeCredentials(mailbox, {
      deliver: (j) => Promise.resolve(void slack.push(j.replyTo)),
      deliverFailure: (j) => Promise.resolve(void slack.push(j.replyTo)),
    });
    await routed.deliverFailure(job(replyTo), 'The grant ended.');
    await routed.deliver(job('slack-view:V123'), GRANT, CREDENTIALS);
    expect(await mailbox.collect(ticket, 'alice')).toEqual({ state: 'failed', message: 'The grant ended.' });
    expect(slack).toEqual(['slack-view:V123']);
  });
});
