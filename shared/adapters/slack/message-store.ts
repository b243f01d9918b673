import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ITEM_SCHEMA_VERSION } from '../dynamodb/item-schema.js';
import { SLACK_MESSAGES_PREFIX } from '../dynamodb/request-store.js';

/** A Slack message the broker posted about a request, kept so it can be updated in place. */
export interface MessageRef {
  readonly channel: string;
  readonly ts: string;
}

/**
 * The Slack subscriber's own state: the messages it posted about each request (approval
 * posts, break-glass alerts). Delivery references are opaque to the domain, so they live here,
 * beside the request, never in its lifecycle record.
 */
export interface SlackMessageStore {
  /** The messages posted about a request, oldest first (none yet: empty). */
  list(requestId: string): Promise<readonly MessageRef[]>;
  /** Records more messages posted about a request. */
  add(requestId: string, messages: readonly MessageRef[]): Promise<void>;
}

/** The id of a request's Slack messages item in the requests table. */
export function slackMessagesId(requestId: string): string {
  return `${SLACK_MESSAGES_PREFIX}${requestId}`;
}

/**
 * The message store in the requests table: one item per request, id
 * `slack-messages#<requestId>`, holding `requestId` and `messages` only. It carries none of
 * the indexes' key attributes (shared/adapters/dynamodb/tables.ts), so no query of the
 * request store ever returns it, and it needs no table, index or stream of its own.
 * Requests stored before this item existed carry their messages on the request item itself
 * (`messages`); `list` reads those too, so their posts are still updated in place.
 */
export class DynamoSlackMessageStore implements SlackMessageStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async list(requestId: string): Promise<readonly MessageRef[]> {
    const [own, legacy] = await Promise.all([
      this.doc.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { id: slackMessagesId(requestId) },
          ConsistentRead: true,
        }),
      ),
      this.doc.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { id: requestId },
          ConsistentRead: true,
          ProjectionExpression: 'messages',
        }),
      ),
    ]);
    return [...refsOf(legacy.Item?.messages), ...refsOf(own.Item?.messages)];
  }

  async add(requestId: string, messages: readonly MessageRef[]): Promise<void> {
    if (messages.length === 0) return;
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { id: slackMessagesId(requestId) },
        UpdateExpression:
          'SET requestId = :requestId, schemaVersion = :schemaVersion, messages = list_append(if_not_exists(messages, :empty), :messages)',
        ExpressionAttributeValues: {
          ':requestId': requestId,
          ':messages': messages.map(({ channel, ts }) => ({ channel, ts })),
          ':empty': [],
          ':schemaVersion': ITEM_SCHEMA_VERSION,
        },
      }),
    );
  }
}

/** The well-formed references of a stored `messages` attribute. */
function refsOf(stored: unknown): MessageRef[] {
  if (!Array.isArray(stored)) return [];
  return stored.filter(
    (m): m is MessageRef =>
      typeof m === 'object' &&
      m !== null &&
      typeof (m as MessageRef).channel === 'string' &&
      typeof (m as MessageRef).ts === 'string',
  );
}

/** A message store in memory (tests, and wiring without DynamoDB). */
export class InMemorySlackMessageStore implements SlackMessageStore {
  readonly byRequest = new Map<string, MessageRef[]>();
  async list(requestId: string): Promise<readonly MessageRef[]> {
    return [...(this.byRequest.get(requestId) ?? [])];
  }
  async add(requestId: string, messages: readonly MessageRef[]): Promise<void> {
    if (messages.length === 0) return;
    this.byRequest.set(requestId, [...(this.byRequest.get(requestId) ?? []), ...messages]);
  }
}
