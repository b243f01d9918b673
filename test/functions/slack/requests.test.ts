import { describe, expect, it } from 'vitest';
import { ACTIONS, BLOCKS, CALLBACKS, COMMANDS } from '../../../shared/adapters/slack/ids.js';
import { DynamoSlackMessageStore } from '../../../shared/adapters/slack/message-store.js';
import {
  blockAction,
  commandBody,
  interactionBody,
  selectState,
  textState,
  viewSubmission,
} from '../../support/slack.js';
import { useSlackHandler } from './harness.js';

const h = useSlackHandler();

/** The Slack posts recorded about a request (the Slack subscriber's own store). */
function postedAbout(requestId: string) {
  return new DynamoSlackMessageStore(h.db().doc, h.db().names.requests).list(requestId);
}

function requestForm(targetId: string, reason: string, extra: { duration?: string; ticket?: string } = {}) {
  return {
    ...selectState(BLOCKS.target, ACTIONS.target, targetId),
    ...textState(BLOCKS.duration, ACTIONS.duration, extra.duration ?? null),
    ...textState(BLOCKS.reason, ACTIONS.reason, reason),
    ...textState(BLOCKS.ticket, ACTIONS.ticket, extra.ticket ?? null),
  };
}

async function submit(
  userId: string,
  targetId: string,
  reason: string,
  extra: { duration?: string; ticket?: string; viewId?: string } = {},
) {
  return h.send(
    interactionBody(
      viewSubmission(
        userId,
        CALLBACKS.requestModal,
        requestForm(targetId, reason, extra),
        extra.viewId ? { viewId: extra.viewId } : {},
      ),
    ),
  );
}

async function click(userId: string, actionId: string, requestId: string, channel = 'CAPPROVE1', ts = '1.0') {
  return h.send(interactionBody(blockAction(userId, actionId, requestId, { channel, ts })));
}

function blocksText(args: Record<string, unknown>): string {
  return JSON.stringify(args.blocks ?? '') + String(args.text ?? '');
}

describe('/request-access', () => {
  it('opens a modal with the targets this person may request', async () => {
    const response = await h.send(commandBody(COMMANDS.requestAccess, 'UDEV1'));
    expect(response.statusCode).toBe(200);
    const [open] = h.slack.callsOf('views.open');
    const view = open?.args.view as { callback_id: string; blocks: unknown[] };
    expect(view.callback_id).toBe(CALLBACKS.requestModal);
    const options = JSON.stringify(view.blocks);
    expect(options).toContain('"value":"dev-group"');
    expect(options).toContain('"value":"prod-role"');
    expect(options).toContain('"value":"sandbox"');
    // The ticket field is offered because prod-role needs one.
    expect(options).toContain(BLOCKS.ticket);
    expect(await h.storedItems()).toEqual([]);
  });

  it('tells a person without an AWS identity so, in plain words, and opens nothing', async () => {
    const response = await h.send(commandBody(COMMANDS.requestAccess, 'UNOMAIL1'));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ response_type: 'ephemeral' });
    expect(JSON.parse(response.body).text).toMatch(/no email/);
    expect(h.slack.callsOf('views.open')).toHaveLength(0);
  });

  it('re-renders the modal for the chosen target (its default duration, its ticket field)', async () => {
    const view = {
      id: 'V0REQ1',
      hash: 'h',
      callback_id: CALLBACKS.requestModal,
      state: { values: selectState(BLOCKS.target, ACTIONS.target, 'dev-group') },
    };
    await h.send(
      interactionBody({
        ...blockAction('UDEV1', ACTIONS.target, '', { view }),
        actions: [
          {
            type: 'static_select',
            action_id: ACTIONS.target,
            block_id: BLOCKS.target,
            selected_option: { value: 'dev-group' },
          },
        ],
      }),
    );
    const [update] = h.slack.callsOf('views.update');
    expect(update?.args.view_id).toBe('V0REQ1');
    const blocks = JSON.stringify((update?.args.view as { blocks: unknown }).blocks);
    expect(blocks).toContain('"initial_value":"1h"');
    expect(blocks).not.toContain(BLOCKS.ticket);
  });
});

describe('request, approve, hand-off', () => {
  it('posts to the approvers channel, approves in place, tells the requester and hands off to the worker', async () => {
    const submitted = await submit('UDEV1', 'dev-group', 'Deploy the hotfix', { duration: '2h' });
    expect(JSON.parse(submitted.body)).toMatchObject({ response_action: 'update' });
    const request = await h.db().requests.get('req-0001');
    expect(request).toMatchObject({
      status: 'PENDING',
      requester: 'UDEV1',
      principal: 'dev.one@example.com',
      durationSeconds: 7200,
      reason: 'Deploy the hotfix',
      idempotencyKey: expect.stringMatching(/^view:/),
    });
    const [post] = h.slack.callsOf('chat.postMessage');
    expect(post?.args.channel).toBe('CAPPROVE1');
    expect(blocksText(post!.args)).toContain(ACTIONS.approve);
    expect(blocksText(post!.args)).toContain('Deploy the hotfix');
    expect(blocksText(post!.args)).toContain('0 of 1 approval');
    const ts = String((await postedAbout('req-0001'))[0]?.ts);

    h.slack.reset();
    const clicked = await click('ULEAD1', ACTIONS.approve, 'req-0001', 'CAPPROVE1', ts);
    expect(clicked.statusCode).toBe(200);
    const approved = await h.db().requests.get('req-0001');
    expect(approved).toMatchObject({
      status: 'APPROVED',
      decidedBy: 'ULEAD1',
      approvals: [{ approver: 'ULEAD1' }],
    });
    expect(approved?.endsAt).toBe(new Date(h.clock().now().getTime() + 7200_000).toISOString());
    expect(h.queue().jobs).toEqual([{ kind: 'activate', requestId: 'req-0001' }]);
    const [update] = h.slack.callsOf('chat.update');
    expect(update?.args).toMatchObject({ channel: 'CAPPROVE1', ts });
    expect(blocksText(update!.args)).toContain('Approved by <@ULEAD1>');
    expect(blocksText(update!.args)).not.toContain(ACTIONS.approve);
    const dm = h.slack.callsOf('chat.postMessage').find((c) => c.args.channel === 'UDEV1');
    expect(String(dm?.args.text)).toMatch(/approved/);
    expect(await h.auditTypes('req-0001')).toEqual(['request.submitted', 'request.approved']);
  });

  it('auto-approves a target that allows it and hands it off at once', async () => {
    await submit('UDEV1', 'sandbox', '');
    expect(await h.db().requests.get('req-0001')).toMatchObject({
      status: 'APPROVED',
      decidedBy: 'system:auto-approval',
    });
    expect(h.queue().jobs).toEqual([{ kind: 'activate', requestId: 'req-0001' }]);
    expect(h.slack.callsOf('chat.postMessage').map((c) => c.args.channel)).toEqual(['UDEV1']);
  });

  // Refusals of a submission (inline on the field's block, nothing written) are the shared
  // table's rows, run through Slack and the API: test/support/decision-tables.ts, driven by
  // test/functions/request-api/same-decisions.test.ts.
});

describe('request, deny', () => {
  it('asks the approver for a reason, denies, updates the post and tells the requester why', async () => {
    await submit('UDEV1', 'dev-group', 'Need logs');
    await click('ULEAD2', ACTIONS.deny, 'req-0001');
    const [open] = h.slack.callsOf('views.open');
    const modal = open?.args.view as { callback_id: string; private_metadata: string };
    expect(modal.callback_id).toBe(CALLBACKS.denyModal);
    expect(await h.db().requests.get('req-0001')).toMatchObject({ status: 'PENDING' });

    h.slack.reset();
    const empty = await h.send(
      interactionBody(
        viewSubmission('ULEAD2', CALLBACKS.denyModal, textState(BLOCKS.denyReason, ACTIONS.denyReason, ' '), {
          privateMetadata: modal.private_metadata,
        }),
      ),
    );
    expect(JSON.parse(empty.body)).toMatchObject({
      response_action: 'errors',
      errors: { [BLOCKS.denyReason]: expect.any(String) },
    });
    expect(await h.db().requests.get('req-0001')).toMatchObject({ status: 'PENDING' });

    const denied = await h.send(
      interactionBody(
        viewSubmission(
          'ULEAD2',
          CALLBACKS.denyModal,
          textState(BLOCKS.denyReason, ACTIONS.denyReason, 'Use staging'),
          { privateMetadata: modal.private_metadata },
        ),
      ),
    );
    expect(denied.statusCode).toBe(200);
    expect(await h.db().requests.get('req-0001')).toMatchObject({
      status: 'DENIED',
      decidedBy: 'ULEAD2',
      decisionReason: 'Use staging',
    });
    expect(blocksText(h.slack.callsOf('chat.update')[0]!.args)).toContain('Denied by <@ULEAD2>');
    const dm = h.slack.callsOf('chat.postMessage').find((c) => c.args.channel === 'UDEV1');
    expect(String(dm?.args.text)).toContain('Use staging');
    expect(h.queue().jobs).toEqual([]);
    expect(await h.auditTypes('req-0001')).toEqual(['request.submitted', 'request.denied']);
  });

  it('does not open the deny form for someone who is not an approver', async () => {
    await submit('UDEV1', 'dev-group', 'Need logs');
    h.slack.reset();
    await click('UDEV2', ACTIONS.deny, 'req-0001');
    expect(h.slack.callsOf('views.open')).toHaveLength(0);
    expect(String(h.slack.callsOf('chat.postEphemeral')[0]?.args.text)).toMatch(/not an approver/);
  });

  it('does not open the deny form for a request that no longer exists, or one already decided', async () => {
    await submit('UDEV1', 'dev-group', 'Need logs');
    h.slack.reset();
    await click('ULEAD1', ACTIONS.deny, 'req-0404');
    expect(h.slack.callsOf('views.open')).toHaveLength(0);
    expect(String(h.slack.callsOf('chat.postEphemeral')[0]?.args.text)).toBe(
      'This request no longer exists.',
    );
    await click('ULEAD1', ACTIONS.approve, 'req-0001');
    h.slack.reset();
    await click('ULEAD2', ACTIONS.deny, 'req-0001');
    expect(h.slack.callsOf('views.open')).toHaveLength(0);
    expect(String(h.slack.callsOf('chat.postEphemeral')[0]?.args.text)).toMatch(/already APPROVED/);
    expect((await h.db().requests.get('req-0001'))?.status).toBe('APPROVED');
  });
});

// Who may approve (self-approval, not an approver, an approver, a late click) is the shared
// table APPROVALS of test/support/decision-tables.ts, run through Slack and the API by
// test/functions/request-api/same-decisions.test.ts.

describe('M of N by DM', () => {
  it('DMs every approver (user groups expanded), shows progress, and approves on the second distinct approver', async () => {
    await submit('UDEV1', 'prod-role', 'Rotate keys', { ticket: 'OPS-12' });
    const posts = h.slack.callsOf('chat.postMessage');
    expect(posts.map((p) => p.args.channel).sort()).toEqual(['ULEAD1', 'ULEAD2', 'ULEAD3']);
    const stored = await h.db().requests.get('req-0001');
    expect((await postedAbout('req-0001')).map((m) => m.channel).sort()).toEqual([
      'DLEAD1',
      'DLEAD2',
      'DLEAD3',
    ]);
    expect(stored).toMatchObject({ ticket: 'OPS-12', approvalsRequired: 2 });

    h.slack.reset();
    await click('ULEAD1', ACTIONS.approve, 'req-0001', 'DLEAD1');
    expect(await h.db().requests.get('req-0001')).toMatchObject({
      status: 'PENDING',
      approvals: [{ approver: 'ULEAD1' }],
    });
    const updates = h.slack.callsOf('chat.update');
    expect(updates.map((u) => u.args.channel).sort()).toEqual(['DLEAD1', 'DLEAD2', 'DLEAD3']);
    expect(blocksText(updates[0]!.args)).toContain('1 of 2 approvals');
    expect(h.queue().jobs).toEqual([]);

    h.slack.reset();
    await click('ULEAD1', ACTIONS.approve, 'req-0001', 'DLEAD1');
    expect(String(h.slack.callsOf('chat.postEphemeral')[0]?.args.text)).toMatch(/already approved/);
    expect(await h.db().requests.get('req-0001')).toMatchObject({ status: 'PENDING', version: 2 });

    await click('ULEAD3', ACTIONS.approve, 'req-0001', 'DLEAD3');
    const approved = await h.db().requests.get('req-0001');
    expect(approved?.status).toBe('APPROVED');
    expect(approved?.approvals.map((a) => a.approver)).toEqual(['ULEAD1', 'ULEAD3']);
    expect(h.queue().jobs).toEqual([{ kind: 'activate', requestId: 'req-0001' }]);
    expect(await h.auditTypes('req-0001')).toEqual([
      'request.submitted',
      'request.approval-recorded',
      'request.approved',
    ]);
  });
});

describe('Slack retries and double submits', () => {
  it('a retried view submission finds the request it created: one request, one approval post', async () => {
    await submit('UDEV1', 'dev-group', 'Once', { viewId: 'V0SAME01' });
    const body = interactionBody(
      viewSubmission('UDEV1', CALLBACKS.requestModal, requestForm('dev-group', 'Once'), {
        viewId: 'V0SAME01',
      }),
    );
    const retried = await h.send(body, { retryNum: 1 });
    expect(retried.statusCode).toBe(200);
    const again = await h.send(body);
    expect(again.statusCode).toBe(200);
    expect((await h.db().requests.listByRequester('UDEV1')).items).toHaveLength(1);
    expect(h.slack.callsOf('chat.postMessage').filter((c) => c.args.channel === 'CAPPROVE1')).toHaveLength(1);
    expect(await h.auditTypes('req-0001')).toEqual(['request.submitted']);
  });

  it('a retried Events API delivery is acknowledged and ignored', async () => {
    const event = JSON.stringify({
      type: 'event_callback',
      team_id: 'T0TEAM0001',
      api_app_id: 'A0APP00001',
      event: { type: 'app_home_opened', user: 'UDEV1', tab: 'home', channel: 'DDEV1' },
      event_id: 'Ev1',
      event_time: 1,
    });
    const retried = await h.send(event, { contentType: 'application/json', retryNum: 2 });
    expect(retried.statusCode).toBe(200);
    expect(h.slack.callsOf('views.publish')).toHaveLength(0);
    await h.send(event, { contentType: 'application/json' });
    expect(h.slack.callsOf('views.publish')).toHaveLength(1);
  });
});
