import { describe, expect, it } from 'vitest';
import { ACTIONS, BLOCKS, CALLBACKS, COMMANDS } from '../../../shared/adapters/slack/ids.js';
import { auditOf } from '../../../shared/usecases/audit-events.js';
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

function breakGlassForm(targetId: string, reason: string) {
  return {
    ...selectState(BLOCKS.target, ACTIONS.target, targetId),
    ...textState(BLOCKS.duration, ACTIONS.duration, null),
    ...textState(BLOCKS.reason, ACTIONS.reason, reason),
    // prod-role requires a ticket, on break-glass as on requests.
    ...textState(BLOCKS.ticket, ACTIONS.ticket, 'INC-1'),
  };
}

async function homeClick(userId: string, actionId: string, requestId: string) {
  return h.send(interactionBody(blockAction(userId, actionId, requestId)));
}

/** A live grant the way the grant worker leaves it: approved, then ACTIVE. */
async function activeGrant(targetId: 'dev-group' | 'prod-role') {
  const form = {
    ...selectState(BLOCKS.target, ACTIONS.target, targetId),
    ...textState(BLOCKS.reason, ACTIONS.reason, 'work'),
    ...textState(BLOCKS.ticket, ACTIONS.ticket, 'OPS-1'),
  };
  await h.send(interactionBody(viewSubmission('UDEV1', CALLBACKS.requestModal, form)));
  await h.send(
    interactionBody(blockAction('ULEAD1', ACTIONS.approve, 'req-0001', { channel: 'C', ts: '1' })),
  );
  if (targetId === 'prod-role') {
    await h.send(
      interactionBody(blockAction('ULEAD2', ACTIONS.approve, 'req-0001', { channel: 'C', ts: '1' })),
    );
  }
  const approved = await h.db().requests.get('req-0001');
  expect(approved?.status).toBe('APPROVED');
  const now = h.clock().now();
  const active = await h.db().requests.transition(approved!, {
    to: 'ACTIVE',
    at: now,
    audit: auditOf(approved!, 'grant.activated', { at: now, actor: 'system:grant-worker', to: 'ACTIVE' }),
  });
  expect(active.ok).toBe(true);
  h.slack.reset();
  h.queue().jobs.length = 0;
}

describe('break-glass', () => {
  it('grants a responder at once, posts loudly to the security channel, and stays flagged until reviewed', async () => {
    const opened = await h.send(commandBody(COMMANDS.breakGlass, 'UONCALL1'));
    expect(opened.statusCode).toBe(200);
    expect((h.slack.callsOf('views.open')[0]?.args.view as { callback_id: string }).callback_id).toBe(
      CALLBACKS.breakGlassModal,
    );

    const submitted = await h.send(
      interactionBody(
        viewSubmission('UONCALL1', CALLBACKS.breakGlassModal, breakGlassForm('prod-role', 'DB on fire')),
      ),
    );
    expect(JSON.parse(submitted.body)).toMatchObject({ response_action: 'update' });
    const grant = await h.db().requests.get('req-0001');
    expect(grant).toMatchObject({
      status: 'APPROVED',
      breakGlass: true,
      principal: 'oncall@example.com',
      reason: 'DB on fire',
    });
    expect(grant?.reviewedAt).toBeUndefined();
    expect(h.queue().jobs).toEqual([{ kind: 'activate', requestId: 'req-0001' }]);
    const alert = h.slack.callsOf('chat.postMessage').find((c) => c.args.channel === 'CSEC1');
    expect(JSON.stringify(alert?.args.blocks)).toContain('BREAK-GLASS');
    expect(JSON.stringify(alert?.args.blocks)).toContain('<!here>');
    expect(h.slack.callsOf('chat.postMessage').some((c) => c.args.channel === 'UONCALL1')).toBe(true);
    expect((await h.db().requests.listUnreviewedBreakGlass()).items.map((r) => r.id)).toEqual(['req-0001']);

    h.slack.reset();
    await h.send(
      interactionBody(
        blockAction('UDEV1', ACTIONS.reviewBreakGlass, 'req-0001', { channel: 'CSEC1', ts: '1' }),
      ),
    );
    expect(String(h.slack.callsOf('chat.postEphemeral')[0]?.args.text)).toMatch(/not a break-glass reviewer/);
    await h.send(
      interactionBody(
        blockAction('USEC1', ACTIONS.reviewBreakGlass, 'req-0001', { channel: 'CSEC1', ts: '1' }),
      ),
    );
    expect(await h.db().requests.get('req-0001')).toMatchObject({ reviewedBy: 'USEC1' });
    expect((await h.db().requests.listUnreviewedBreakGlass()).items).toEqual([]);
    expect(JSON.stringify(h.slack.callsOf('chat.update')[0]?.args.blocks)).toContain('Reviewed by <@USEC1>');
    expect(await h.auditTypes('req-0001')).toEqual(['break-glass.activated', 'break-glass.reviewed']);
  });

  it('refuses anyone who is not a listed responder, by command and by form, and writes nothing', async () => {
    const response = await h.send(commandBody(COMMANDS.breakGlass, 'UDEV1'));
    expect(JSON.parse(response.body)).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringMatching(/responders/),
    });
    expect(h.slack.callsOf('views.open')).toHaveLength(0);
    const forged = await h.send(
      interactionBody(
        viewSubmission('UDEV1', CALLBACKS.breakGlassModal, breakGlassForm('prod-role', 'I insist')),
      ),
    );
    expect(JSON.parse(forged.body)).toMatchObject({
      response_action: 'errors',
      errors: { [BLOCKS.target]: expect.stringMatching(/responders/) },
    });
    expect(await h.storedItems()).toEqual([]);
    expect(h.queue().jobs).toEqual([]);
  });

  it('offers a responder only the targets marked break-glass, with the break-glass maximum', async () => {
    await h.send(commandBody(COMMANDS.breakGlass, 'UONCALL1'));
    const modal = JSON.stringify(h.slack.callsOf('views.open')[0]?.args.view);
    expect(modal).toContain('"value":"prod-role"');
    expect(modal).not.toContain('dev-group');
    expect(modal).not.toContain('sandbox');
    expect(modal).toContain('break-glass lasts at most 1h');
  });

  it('refuses a responder without a reason', async () => {
    const response = await h.send(
      interactionBody(viewSubmission('UONCALL1', CALLBACKS.breakGlassModal, breakGlassForm('prod-role', ''))),
    );
    expect(JSON.parse(response.body)).toMatchObject({
      response_action: 'errors',
      errors: { [BLOCKS.reason]: expect.any(String) },
    });
    expect(await h.storedItems()).toEqual([]);
  });
});

describe('my access (App Home)', () => {
  it('lists live grants with time left and the buttons that apply', async () => {
    await activeGrant('prod-role');
    h.clock().advance(600);
    await h.openHome('UDEV1');
    const [publish] = h.slack.callsOf('views.publish');
    expect(publish?.args.user_id).toBe('UDEV1');
    const blocks = JSON.stringify((publish?.args.view as { blocks: unknown }).blocks);
    expect(blocks).toContain('prod-role');
    expect(blocks).toContain('50m left');
    expect(blocks).toContain(ACTIONS.getCredentials);
    expect(blocks).toContain(ACTIONS.release);
    expect(blocks).toContain(ACTIONS.extend);
  });

  it('"Release now" hands a revoke to the worker and says on the Home tab that it is requested, not done', async () => {
    await activeGrant('dev-group');
    await homeClick('UDEV1', ACTIONS.release, 'req-0001');
    expect(h.queue().jobs).toEqual([
      { kind: 'revoke', requestId: 'req-0001', actor: 'UDEV1', reason: 'released by the requester' },
    ]);
    expect(JSON.stringify(h.slack.callsOf('views.publish')[0]?.args.view)).toContain(
      'Release of *dev-group* requested; your access is removed as soon as AWS confirms.',
    );
  });

  it('"Cancel request" withdraws a pending request, updates its approval post and hands nothing off', async () => {
    const form = {
      ...selectState(BLOCKS.target, ACTIONS.target, 'dev-group'),
      ...textState(BLOCKS.reason, ACTIONS.reason, 'work'),
    };
    await h.send(interactionBody(viewSubmission('UDEV1', CALLBACKS.requestModal, form)));
    h.slack.reset();
    await homeClick('UDEV2', ACTIONS.cancel, 'req-0001');
    expect((await h.db().requests.get('req-0001'))?.status).toBe('PENDING');
    expect(JSON.stringify(h.slack.callsOf('views.publish')[0]?.args.view)).toContain(
      'Only the requester can cancel',
    );
    h.slack.reset();
    await homeClick('UDEV1', ACTIONS.cancel, 'req-0001');
    expect(await h.db().requests.get('req-0001')).toMatchObject({ status: 'CANCELLED', decidedBy: 'UDEV1' });
    expect(h.slack.callsOf('chat.update')).toHaveLength(1);
    expect(JSON.stringify(h.slack.callsOf('views.publish')[0]?.args.view)).toContain('was cancelled');
    expect(h.queue().jobs).toEqual([]);
  });

  it('"Release now" on someone else\'s grant is refused and hands nothing off', async () => {
    await activeGrant('dev-group');
    await homeClick('UDEV2', ACTIONS.release, 'req-0001');
    expect(h.queue().jobs).toEqual([]);
    expect(JSON.stringify(h.slack.callsOf('views.publish')[0]?.args.view)).toContain(
      'Only the person who holds a grant',
    );
  });

  it('"Get credentials" opens a modal at once and hands the view to the worker', async () => {
    await activeGrant('prod-role');
    await homeClick('UDEV1', ACTIONS.getCredentials, 'req-0001');
    const [open] = h.slack.callsOf('views.open');
    expect((open?.args.view as { callback_id: string }).callback_id).toBe(CALLBACKS.credentialsModal);
    const viewId = (open?.response.view as { id: string }).id;
    expect(viewId).toMatch(/^V/);
    expect(h.queue().jobs).toEqual([
      {
        kind: 'issue-credentials',
        requestId: 'req-0001',
        requester: 'UDEV1',
        replyTo: `slack-view:${viewId}`,
      },
    ]);
    // Opening the modal and handing off write nothing: the worker mints and delivers.
    expect(h.slack.callsOf('views.update')).toEqual([]);
  });

  it('"Get credentials" on a group grant fills the modal with the reason instead', async () => {
    await activeGrant('dev-group');
    await homeClick('UDEV1', ACTIONS.getCredentials, 'req-0001');
    expect(h.queue().jobs).toEqual([]);
    const [open] = h.slack.callsOf('views.open');
    const [update] = h.slack.callsOf('views.update');
    expect(update?.args.view_id).toBe((open?.response.view as { id: string }).id);
    expect(JSON.stringify(update?.args.view)).toContain('group grant');
  });

  it('"Extend" on someone else\'s grant opens no form and says why on the Home tab', async () => {
    await activeGrant('dev-group');
    await homeClick('UDEV2', ACTIONS.extend, 'req-0001');
    expect(h.slack.callsOf('views.open')).toEqual([]);
    expect(JSON.stringify(h.slack.callsOf('views.publish')[0]?.args.view)).toContain(
      'Only your own live grants can be extended.',
    );
    expect(await h.db().requests.get('req-0002')).toBeUndefined();
  });

  it('"Extend" asks for more time through the same approval rules', async () => {
    await activeGrant('dev-group');
    await homeClick('UDEV1', ACTIONS.extend, 'req-0001');
    const modal = h.slack.callsOf('views.open')[0]?.args.view as {
      callback_id: string;
      private_metadata: string;
    };
    expect(modal.callback_id).toBe(CALLBACKS.extendModal);
    const form = {
      ...textState(BLOCKS.duration, ACTIONS.duration, '2h'),
      ...textState(BLOCKS.reason, ACTIONS.reason, 'Not done yet'),
    };
    await h.send(
      interactionBody(
        viewSubmission('UDEV1', CALLBACKS.extendModal, form, { privateMetadata: modal.private_metadata }),
      ),
    );
    expect(await h.db().requests.get('req-0002')).toMatchObject({
      status: 'PENDING',
      targetId: 'dev-group',
      extendsRequestId: 'req-0001',
      durationSeconds: 7200,
    });
    expect(h.slack.callsOf('chat.postMessage').some((c) => c.args.channel === 'CAPPROVE1')).toBe(true);
  });
});
