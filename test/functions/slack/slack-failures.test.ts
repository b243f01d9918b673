import { describe, expect, it } from 'vitest';
import { ACTIONS, BLOCKS, CALLBACKS, COMMANDS } from '../../../shared/adapters/slack/ids.js';
import {
  commandBody,
  interactionBody,
  selectState,
  textState,
  viewSubmission,
  type StateValues,
} from '../../support/slack.js';
import { useSlackHandler } from './harness.js';

const h = useSlackHandler();

function submit(userId: string, targetId: string, extra: StateValues = {}) {
  return h.send(
    interactionBody(
      viewSubmission(userId, CALLBACKS.requestModal, {
        ...selectState(BLOCKS.target, ACTIONS.target, targetId),
        ...textState(BLOCKS.reason, ACTIONS.reason, 'Deploy the hotfix'),
        ...extra,
      }),
    ),
  );
}

describe('when Slack refuses a Web API call', () => {
  it('logs Slack’s error code and the missing scope, and tells the person what an operator must fix', async () => {
    h.slack.failWith('users.info', { error: 'missing_scope', needed: 'users:read.email' });
    const response = await h.send(commandBody(COMMANDS.requestAccess, 'UDEV1'));
    expect(response.statusCode).toBe(200);
    const reply = JSON.parse(response.body) as { response_type: string; text: string };
    expect(reply).toEqual({
      response_type: 'ephemeral',
      text: "The broker's Slack app lacks the users:read.email scope; ask an operator to add it and reinstall the app.",
    });
    expect(h.logs()).toContainEqual({
      level: 'error',
      message: 'slack api call failed',
      fields: { where: 'request-access', slackError: 'missing_scope', needed: 'users:read.email' },
    });
    expect(JSON.stringify(h.logs())).not.toContain('xoxb-');
  });

  it('tells the requester privately when the approval channel is gone, and logs the code', async () => {
    h.slack.failWith('chat.postMessage', {
      error: 'channel_not_found',
      when: (args) => args.channel === 'CAPPROVE1',
    });
    const response = await submit('UDEV1', 'dev-group');
    expect(JSON.parse(response.body)).toMatchObject({ response_action: 'update' });
    expect(await h.db().requests.get('req-0001')).toMatchObject({ status: 'PENDING' });
    const dm = h.slack.callsOf('chat.postMessage').find((c) => c.args.channel === 'UDEV1');
    expect(String(dm?.args.text)).toBe(
      ":warning: Your request for *dev-group* is recorded, but its approvers could not be told. The broker's Slack app cannot find the channel (<#CAPPROVE1>); ask an operator to fix the channel in the access policy.",
    );
    expect(h.logs()).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'notification failed',
        fields: expect.objectContaining({ error: 'Slack chat.postMessage failed: channel_not_found' }),
      }),
    );
  });
});

describe('notification fallback texts', () => {
  it('name people with Slack mentions, never raw ids', async () => {
    await submit('UDEV1', 'dev-group');
    const [post] = h.slack.callsOf('chat.postMessage');
    expect(post?.args.channel).toBe('CAPPROVE1');
    expect(post?.args.text).toBe('<@UDEV1> requests dev-group for 1h');
  });

  it('of a break-glass alert mention the responder', async () => {
    await h.send(
      interactionBody(
        viewSubmission('UONCALL1', CALLBACKS.breakGlassModal, {
          ...selectState(BLOCKS.target, ACTIONS.target, 'prod-role'),
          ...textState(BLOCKS.reason, ACTIONS.reason, 'prod is down'),
        }),
      ),
    );
    const alert = h.slack.callsOf('chat.postMessage').find((c) => c.args.channel === 'CSEC1');
    expect(alert?.args.text).toBe('BREAK-GLASS: <@UONCALL1> took prod-role');
  });
});
