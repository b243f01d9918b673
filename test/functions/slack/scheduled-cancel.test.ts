import { describe, expect, it } from 'vitest';
import { ACTIONS, BLOCKS, CALLBACKS } from '../../../shared/adapters/slack/ids.js';
import { blockAction, interactionBody, selectState, viewSubmission } from '../../support/slack.js';
import { useSlackHandler } from './harness.js';

const h = useSlackHandler();

async function openHome(userId: string) {
  h.slack.reset();
  await h.openHome(userId);
  return JSON.stringify(h.slack.callsOf('views.publish').at(-1)?.args.view);
}

async function homeClick(userId: string, requestId: string) {
  h.slack.reset();
  await h.send(interactionBody(blockAction(userId, ACTIONS.cancel, requestId)));
  return JSON.stringify(h.slack.callsOf('views.publish').at(-1)?.args.view);
}

describe('cancel a scheduled grant from App Home (signed Slack, real handler, DynamoDB Local)', () => {
  it('the requester cancels an approved grant before its start; anyone else’s click changes nothing', async () => {
    const startsAt = new Date(h.clock().now().getTime() + 3600_000);
    // An auto-approved target, asked for a window starting in an hour.
    await h.send(
      interactionBody(
        viewSubmission('UDEV1', CALLBACKS.requestModal, {
          ...selectState(BLOCKS.target, ACTIONS.target, 'sandbox'),
          [BLOCKS.start]: {
            [ACTIONS.start]: {
              type: 'datetimepicker',
              selected_date_time: Math.floor(startsAt.getTime() / 1000),
            },
          },
        }),
      ),
    );
    expect(await h.db().requests.get('req-0001')).toMatchObject({
      status: 'APPROVED',
      scheduledStartsAt: startsAt.toISOString(),
    });
    const home = await openHome('UDEV1');
    expect(home).toContain(ACTIONS.cancel);
    expect(home).toContain('"value":"req-0001"');

    // Someone else's click on that button: nothing changes, nothing is audited.
    const before = await h.auditTypes('req-0001');
    expect(await homeClick('UDEV2', 'req-0001')).toContain('Only the requester can cancel');
    expect((await h.db().requests.get('req-0001'))?.status).toBe('APPROVED');
    expect(await h.auditTypes('req-0001')).toEqual(before);

    const after = await homeClick('UDEV1', 'req-0001');
    expect(await h.db().requests.get('req-0001')).toMatchObject({ status: 'CANCELLED' });
    expect(await h.auditTypes('req-0001')).toEqual([...before, 'request.cancelled']);
    // The Home tab is republished without it.
    expect(after).toContain('was cancelled');
    expect(after).not.toContain('"value":"req-0001"');
    expect(h.queue().jobs).toEqual([]);
  });
});
