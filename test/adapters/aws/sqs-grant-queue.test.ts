import { replyToSlackView, slackViewOf } from '../../../shared/adapters/slack/reply-to.js';
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { parseGrantJob, SqsGrantQueue } from '../../../shared/adapters/aws/sqs-grant-queue.js';
import { ValidationError } from '../../../shared/domain/errors.js';

const sqs = mockClient(SQSClient);
afterEach(() => sqs.reset());
const URL_ = 'https://sqs.us-east-1.amazonaws.com/111122223333/grant-jobs';

describe('SqsGrantQueue', () => {
  it('sends each job as one JSON message', async () => {
    sqs.on(SendMessageCommand).resolves({});
    const queue = new SqsGrantQueue(new SQSClient({ region: 'us-east-1' }), URL_);
    await queue.enqueue({ kind: 'revoke', requestId: 'req-1', actor: 'UDEV1', reason: 'done' });
    expect(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input).toEqual({
      QueueUrl: URL_,
      MessageBody: '{"kind":"revoke","requestId":"req-1","actor":"UDEV1","reason":"done"}',
    });
  });

  it('delays a retry by changing the message visibility', async () => {
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    await new SqsGrantQueue(new SQSClient({ region: 'us-east-1' }), URL_).delay('rh-1', 120);
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand)[0]?.args[0].input).toEqual({
      QueueUrl: URL_,
      ReceiptHandle: 'rh-1',
      VisibilityTimeout: 120,
    });
  });
});

describe('parseGrantJob', () => {
  it.each([
    { description: 'an activation', body: '{"kind":"activate","requestId":"r1"}' },
    {
      description: 'a credentials request',
      body: '{"kind":"issue-credentials","requestId":"r1","requester":"U1","replyTo":"slack-view:V1"}',
    },
    { description: 'a membership restore', body: '{"kind":"restore-membership","requestId":"r1"}' },
  ])('accepts $description', ({ body }) => {
    expect(parseGrantJob(body)).toEqual(JSON.parse(body));
  });
  it('still parses a credentials job queued before replyTo, with its Slack view as viewId', () => {
    const queuedEarlier = '{"kind":"issue-credentials","requestId":"r1","requester":"U1","viewId":"V0OLD1"}';
    const job = parseGrantJob(queuedEarlier);
    expect(job).toEqual({
      kind: 'issue-credentials',
      requestId: 'r1',
      requester: 'U1',
      replyTo: replyToSlackView('V0OLD1'),
    });
    expect(job.kind === 'issue-credentials' && slackViewOf(job.replyTo)).toBe('V0OLD1');
  });
  it.each([
    { description: 'not JSON', body: 'nope' },
    {
      description: 'a credentials job with both addresses',
      body: '{"kind":"issue-credentials","requestId":"r1","requester":"U1","viewId":"V1","replyTo":"slack-view:V1"}',
    },
    { description: 'an unknown kind', body: '{"kind":"delete","requestId":"r1"}' },
    { description: 'a missing field', body: '{"kind":"revoke","requestId":"r1"}' },
    { description: 'an unknown key', body: '{"kind":"activate","requestId":"r1","extra":1}' },
    {
      description: 'a restore naming a group (the worker reads it from the grant)',
      body: '{"kind":"restore-membership","requestId":"r1","groupName":"admins"}',
    },
  ])('refuses $description', ({ body }) => {
    expect(() => parseGrantJob(body)).toThrow(ValidationError);
  });
});
