import { describe, expect, it } from 'vitest';
import { ACTIONS, BLOCKS, CALLBACKS } from '../../../shared/adapters/slack/ids.js';
import { auditOf } from '../../../shared/usecases/audit-events.js';
import { blockAction, interactionBody, selectState, textState, viewSubmission } from '../../support/slack.js';
import { useSlackHandler } from './harness.js';

const h = useSlackHandler();

/** The request form for dev-group, with a start picked in the datetime picker (Unix seconds). */
function scheduledForm(startsAt: Date) {
  return {
    ...selectState(BLOCKS.target, ACTIONS.target, 'dev-group'),
    ...textState(BLOCKS.reason, ACTIONS.reason, 'migration'),
    [BLOCKS.start]: {
      [ACTIONS.start]: { type: 'datetimepicker', selected_date_time: Math.floor(startsAt.getTime() / 1000) },
    },
  };
}

describe('the time side in Slack (signed requests through the real handler)', () => {
  it('the request modal start field schedules the grant: approved now, no hand-off until the start', async () => {
    const start = new Date(h.clock().now().getTime() + 3 * 3600_000);
    const response = await h.send(
      interactionBody(viewSubmission('UDEV1', CALLBACKS.requestModal, scheduledForm(start))),
    );
    expect(JSON.parse(response.body)).toMatchObject({ response_action: 'update' });
    expect(await h.db().requests.get('req-0001')).toMatchObject({
      status: 'PENDING',
      scheduledStartsAt: start.toISOString(),
    });
    await h.send(
      interactionBody(blockAction('ULEAD1', ACTIONS.approve, 'req-0001', { channel: 'C', ts: '1' })),
    );
    expect(await h.db().requests.get('req-0001')).toMatchObject({
      status: 'APPROVED',
      startsAt: start.toISOString(),
    });
    expect(h.queue().jobs).toEqual([]);
  });

  it('a start in the past is an inline error on the start field and writes nothing', async () => {
    const start = new Date(h.clock().now().getTime() - 60_000);
    const response = await h.send(
      interactionBody(viewSubmission('UDEV1', CALLBACKS.requestModal, scheduledForm(start))),
    );
    const body = JSON.parse(response.body) as { response_action: string; errors: Record<string, string> };
    expect(body.response_action).toBe('errors');
    expect(Object.keys(body.errors)).toEqual([BLOCKS.start]);
    expect(await h.db().requests.get('req-0001')).toBeUndefined();
  });

  it('the warning\'s "Extend" button extends within the grace budget at once, then opens the Extend form', async () => {
    const form = {
      ...selectState(BLOCKS.target, ACTIONS.target, 'dev-group'),
      ...textState(BLOCKS.reason, ACTIONS.reason, 'work'),
    };
    await h.send(interactionBody(viewSubmission('UDEV1', CALLBACKS.requestModal, form)));
    await h.send(
      interactionBody(blockAction('ULEAD1', ACTIONS.approve, 'req-0001', { channel: 'C', ts: '1' })),
    );
    const approved = await h.db().requests.get('req-0001');
    const now = h.clock().now();
    await h.db().requests.transition(approved!, {
      to: 'ACTIVE',
      at: now,
      audit: auditOf(approved!, 'grant.activated', { at: now, actor: 'system:grant-worker', to: 'ACTIVE' }),
    });
    h.clock().advance(55 * 60);
    h.queue().jobs.length = 0;
    h.slack.reset();

    await h.send(
      interactionBody(blockAction('UDEV1', ACTIONS.graceExtend, 'req-0001', { channel: 'D1', ts: '2' })),
    );
    expect(await h.db().requests.get('req-0002')).toMatchObject({
      status: 'APPROVED',
      grace: true,
      extendsRequestId: 'req-0001',
      decidedBy: 'system:grace-extension',
    });
    expect(h.queue().jobs).toEqual([{ kind: 'activate', requestId: 'req-0002' }]);
    expect(await h.auditTypes('req-0001')).toContain('grant.grace-extended');

    // Beyond the budget (used once): the normal Extend form, for the approvers.
    await h.send(
      interactionBody(blockAction('UDEV1', ACTIONS.graceExtend, 'req-0001', { channel: 'D1', ts: '2' })),
    );
    const modal = h.slack.callsOf('views.open')[0]?.args.view as { callback_id: string };
    expect(modal.callback_id).toBe(CALLBACKS.extendModal);
    expect(JSON.stringify(modal)).toContain('already used');
    expect(await h.db().requests.get('req-0003')).toBeUndefined();
  });
});
