import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoSlackMessageStore, slackMessagesId } from '../../../shared/adapters/slack/message-store.js';
import { newRequest, type AccessRequest } from '../../../shared/domain/request.js';
import { auditOf } from '../../../shared/usecases/audit-events.js';
import { useLocalTables } from '../../support/local-dynamo.js';

const db = useLocalTables();
const at = new Date('2026-11-27T09:00:00.000Z');

function store() {
  return new DynamoSlackMessageStore(db().doc, db().names.requests);
}

function pending(id: string): AccessRequest {
  return newRequest({
    id,
    at,
    requester: 'UDEV1',
    principal: 'dev1@example.com',
    targetId: 'dev-group',
    targetKind: 'group',
    durationSeconds: 3600,
    reason: 'deploy',
    approvalsRequired: 1,
  });
}

async function create(request: AccessRequest): Promise<AccessRequest> {
  await db().requests.create(
    request,
    auditOf(request, 'request.submitted', { at, actor: request.requester, to: 'PENDING', initial: true }),
  );
  return request;
}

describe('DynamoSlackMessageStore (the Slack subscriber state, beside the request)', () => {
  it('keeps the posts in an item of its own, never on the request nor in any index', async () => {
    const request = await create(pending('r1'));
    await store().add('r1', [{ channel: 'CAPPROVE1', ts: '1.000100' }]);
    await store().add('r1', [{ channel: 'DLEAD1', ts: '1.000200' }]);
    expect(await store().list('r1')).toEqual([
      { channel: 'CAPPROVE1', ts: '1.000100' },
      { channel: 'DLEAD1', ts: '1.000200' },
    ]);
    // The lifecycle record is untouched: no `messages` attribute on the request item.
    const { Item } = await db().doc.send(
      new GetCommand({ TableName: db().names.requests, Key: { id: 'r1' }, ConsistentRead: true }),
    );
    expect(Item).not.toHaveProperty('messages');
    expect(await db().requests.get('r1')).toEqual(request);
    // No query of the request store returns the messages item, and get refuses its id.
    expect((await db().requests.listByRequester('UDEV1')).items.map((r) => r.id)).toEqual(['r1']);
    expect((await db().requests.listPending()).items.map((r) => r.id)).toEqual(['r1']);
    expect(await db().requests.get(slackMessagesId('r1'))).toBeUndefined();
  });

  it('has no posts for a request nobody posted about', async () => {
    await create(pending('r2'));
    expect(await store().list('r2')).toEqual([]);
    expect(await store().list('no-such-request')).toEqual([]);
  });

  it('reads the posts of a request stored in the old shape (messages on the request), first', async () => {
    // A fixture item as the store wrote it before delivery references left the request.
    const legacy = {
      ...pending('r-old'),
      messages: [
        { channel: 'DLEAD1', ts: '1.000001' },
        { channel: 'DLEAD2', ts: '1.000002' },
      ],
      pendingTarget: 'dev-group',
      pendingAll: 'PENDING',
    };
    await db().doc.send(new PutCommand({ TableName: db().names.requests, Item: legacy }));
    expect(await store().list('r-old')).toEqual(legacy.messages);

    // The request no longer carries them, and a transition keeps them on the item for this store.
    const read = (await db().requests.get('r-old')) as AccessRequest;
    expect(read).not.toHaveProperty('messages');
    const moved = await db().requests.transition(read, {
      to: 'DENIED',
      at,
      changes: { decidedBy: 'ULEAD1', decisionReason: 'no' },
      audit: auditOf(read, 'request.denied', { at, actor: 'ULEAD1', to: 'DENIED', reason: 'no' }),
    });
    expect(moved.ok).toBe(true);
    await store().add('r-old', [{ channel: 'CSEC1', ts: '1.000003' }]);
    expect(await store().list('r-old')).toEqual([...legacy.messages, { channel: 'CSEC1', ts: '1.000003' }]);
  });
});
