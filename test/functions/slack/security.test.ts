import { describe, expect, it } from 'vitest';
import { ACTIONS, BLOCKS, CALLBACKS, COMMANDS } from '../../../shared/adapters/slack/ids.js';
import { MAX_BODY_BYTES } from '../../../shared/adapters/slack/request-guard.js';
import { commandBody, interactionBody, selectState, textState, viewSubmission } from '../../support/slack.js';
import { useSlackHandler } from './harness.js';

const h = useSlackHandler();

function submission(reason: string) {
  return interactionBody(
    viewSubmission('UDEV1', CALLBACKS.requestModal, {
      ...selectState(BLOCKS.target, ACTIONS.target, 'dev-group'),
      ...textState(BLOCKS.reason, ACTIONS.reason, reason),
    }),
  );
}

const sixMinutesAgo = () => Math.floor(Date.now() / 1000) - 6 * 60;
const minutesAhead = (minutes: number) => Math.floor(Date.now() / 1000) + minutes * 60;

describe('requests that are refused before anything runs', () => {
  it.each([
    {
      description: 'a forged signature',
      body: submission('ok'),
      options: { signature: `v0=${'0'.repeat(64)}` },
      status: 401,
    },
    {
      description: 'a request signed with the wrong secret',
      body: submission('ok'),
      options: { secret: 'not-our-secret' },
      status: 401,
    },
    {
      description: 'a timestamp older than five minutes',
      body: submission('ok'),
      options: { timestamp: sixMinutesAgo() },
      status: 401,
    },
    {
      description: 'a timestamp ten minutes in the future (signed ahead, to be replayed later)',
      body: submission('ok'),
      options: { timestamp: minutesAhead(10) },
      status: 401,
    },
    { description: 'no signature at all', body: submission('ok'), options: { signature: '' }, status: 401 },
    { description: 'a payload that is not JSON', body: 'payload=%7Bnot-json', options: {}, status: 400 },
    {
      description: 'an interaction without a user',
      body: interactionBody({ type: 'view_submission', view: { id: 'V1' } }),
      options: {},
      status: 400,
    },
    {
      description: 'a command without its fields',
      body: 'command=%2Frequest-access',
      options: {},
      status: 400,
    },
    {
      description: 'an unknown content type',
      body: submission('ok'),
      options: { contentType: 'text/plain' },
      status: 400,
    },
    {
      description: 'a body over the size limit',
      body: `${submission('ok')}&pad=${'x'.repeat(MAX_BODY_BYTES)}`,
      options: {},
      status: 413,
    },
  ])('$description gets $status and writes nothing', async ({ body, options, status }) => {
    const response = await h.send(body, options);
    expect(response.statusCode).toBe(status);
    expect(await h.storedItems()).toEqual([]);
    expect(h.slack.calls).toEqual([]);
    expect(h.queue().jobs).toEqual([]);
  });

  it('a signed command with a forged signature opens no modal', async () => {
    const response = await h.send(commandBody(COMMANDS.requestAccess, 'UDEV1'), { secret: 'guess' });
    expect(response.statusCode).toBe(401);
    expect(h.slack.callsOf('views.open')).toHaveLength(0);
  });

  it('an oversized reason is an inline error and writes nothing', async () => {
    const response = await h.send(submission('x'.repeat(501)));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({
      response_action: 'errors',
      errors: { [BLOCKS.reason]: 'The reason is limited to 500 characters.' },
    });
    expect(await h.storedItems()).toEqual([]);
    expect(h.queue().jobs).toEqual([]);
  });

  it('an oversized deny reason is an inline error and denies nothing', async () => {
    await h.send(submission('ok'));
    const response = await h.send(
      interactionBody(
        viewSubmission(
          'ULEAD1',
          CALLBACKS.denyModal,
          textState(BLOCKS.denyReason, ACTIONS.denyReason, 'y'.repeat(501)),
          {
            privateMetadata: JSON.stringify({ requestId: 'req-0001' }),
          },
        ),
      ),
    );
    expect(JSON.parse(response.body)).toMatchObject({ response_action: 'errors' });
    expect(await h.db().requests.get('req-0001')).toMatchObject({ status: 'PENDING', version: 1 });
  });

  it('a signed request within the window goes through (the refusals above are not a broken handler)', async () => {
    const response = await h.send(submission('ok'), { timestamp: Math.floor(Date.now() / 1000) - 60 });
    expect(response.statusCode).toBe(200);
    expect(await h.db().requests.get('req-0001')).toMatchObject({ status: 'PENDING' });
  });

  it('a timestamp four minutes ahead (clock skew within the window) goes through', async () => {
    const response = await h.send(submission('ok'), { timestamp: minutesAhead(4) });
    expect(response.statusCode).toBe(200);
    expect(await h.db().requests.get('req-0001')).toMatchObject({ status: 'PENDING' });
  });
});
