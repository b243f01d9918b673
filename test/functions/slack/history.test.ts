import { describe, expect, it } from 'vitest';
import { ACTIONS, BLOCKS, CALLBACKS } from '../../../shared/adapters/slack/ids.js';
import { blockAction, interactionBody, selectState, textState, viewSubmission } from '../../support/slack.js';
import { useSlackHandler } from './harness.js';

/** The approval post shows the requester's recent history on the target (from the audit trail). */

const h = useSlackHandler();

const request = (reason: string) =>
  h.send(
    interactionBody(
      viewSubmission('UDEV1', CALLBACKS.requestModal, {
        ...selectState(BLOCKS.target, ACTIONS.target, 'dev-group'),
        ...textState(BLOCKS.reason, ACTIONS.reason, reason),
      }),
    ),
  );

function lastApprovalPost(): string {
  const posts = h.slack.callsOf('chat.postMessage').filter((c) => c.args.channel === 'CAPPROVE1');
  return JSON.stringify(posts.at(-1)?.args.blocks);
}

describe('the approval post', () => {
  it('says there is no history for a first request, then shows the earlier grant and denial', async () => {
    await request('first');
    expect(lastApprovalPost()).toContain('No earlier grant or denial');
    await h.send(
      interactionBody(blockAction('ULEAD1', ACTIONS.approve, 'req-0001', { channel: 'CAPPROVE1', ts: '1' })),
    );

    await request('second');
    await h.send(
      interactionBody(blockAction('ULEAD2', ACTIONS.deny, 'req-0002', { channel: 'CAPPROVE1', ts: '2' })),
    );
    await h.send(
      interactionBody(
        viewSubmission(
          'ULEAD2',
          CALLBACKS.denyModal,
          textState(BLOCKS.denyReason, ACTIONS.denyReason, 'too broad'),
          {
            privateMetadata: JSON.stringify({ requestId: 'req-0002' }),
          },
        ),
      ),
    );
    expect((await h.db().requests.get('req-0002'))?.status).toBe('DENIED');

    h.slack.reset();
    await request('third');
    const post = lastApprovalPost();
    expect(post).toContain('Recent history on dev-group');
    expect(post).toContain('granted 1h');
    expect(post).toContain('denied by <@ULEAD2>');
    expect(post).toContain('too broad');
  });
});
