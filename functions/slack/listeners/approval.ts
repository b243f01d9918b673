import { MAX_REASON_LENGTH } from '../../../shared/domain/decision.js';
import { slackPerson } from '../../../shared/domain/person.js';
import { approveRequest, denyRequest } from '../../../shared/usecases/approve-request.js';
import { resolvePerson } from '../../../shared/usecases/identify-person.js';
import { prepareDenial } from '../../../shared/usecases/prepare-forms.js';
import { ACTIONS, BLOCKS, CALLBACKS } from '../../../shared/adapters/slack/ids.js';
import { decodeMetadata } from '../../../shared/adapters/slack/views/blocks.js';
import { denyModal } from '../../../shared/adapters/slack/views/modals.js';
import { onButton, textValue, type ListenerContext } from './listener-kit.js';

/** The Approve and Deny buttons of an approval message, and the deny modal (a reason is required). */
export function registerApprovalListeners(ctx: ListenerContext): void {
  const { app, client, deps, people } = ctx;

  onButton(ctx, ACTIONS.approve, 'approve', async ({ requestId, userId, channel }) => {
    const approver = await resolvePerson(people, slackPerson(userId));
    const result = await approveRequest(deps, { requestId, approver });
    if (result.outcome === 'refused') await ctx.ephemeral(userId, channel, result.message);
  });

  onButton(ctx, ACTIONS.deny, 'deny-open', async ({ requestId, userId, channel, body }) => {
    const approver = await resolvePerson(people, slackPerson(userId));
    const denial = await prepareDenial(deps, { requestId, approver });
    if (denial.outcome === 'refused') return await ctx.ephemeral(userId, channel, denial.message);
    await client.views.open({ trigger_id: body.trigger_id, view: denyModal(denial.request) });
  });

  app.view(CALLBACKS.denyModal, async ({ ack, body, view }) => {
    const { requestId } = decodeMetadata(view.private_metadata);
    const reason = textValue(view.state.values, BLOCKS.denyReason, ACTIONS.denyReason)?.trim() ?? '';
    const inline = (message: string) =>
      ack({ response_action: 'errors', errors: { [BLOCKS.denyReason]: message } });
    if (!requestId) return inline('This form has lost its request; open it again.');
    if (reason === '') return inline('Say why, so the requester knows.');
    if (reason.length > MAX_REASON_LENGTH)
      return inline(`The reason is limited to ${MAX_REASON_LENGTH} characters.`);
    try {
      const approver = await resolvePerson(people, slackPerson(body.user.id));
      const result = await denyRequest(deps, { requestId, approver, reason });
      if (result.outcome === 'refused') return inline(result.message);
      return ack();
    } catch (error) {
      return inline(ctx.describeError(error, 'deny'));
    }
  });
}
