import { slackPerson } from '../../../shared/domain/person.js';
import { identifyPerson, resolvePerson } from '../../../shared/usecases/identify-person.js';
import type { BlockAction } from '@slack/bolt';
import { findTarget, requestableTargets } from '../../../shared/domain/policy.js';
import { accountChoices, checkAccountChoice } from '../../../shared/usecases/prepare-forms.js';
import { submitRequest } from '../../../shared/usecases/submit-request.js';
import { ACTIONS, BLOCKS, CALLBACKS, COMMANDS, FIELD_BLOCKS } from '../../../shared/adapters/slack/ids.js';
import { requestModal, selectedTarget } from '../../../shared/adapters/slack/views/modals.js';
import { slackDate } from '../../../shared/adapters/slack/views/blocks.js';
import {
  doneModal,
  inlineError,
  onRequestForm,
  registerModalOpener,
  selectedValue,
  type ListenerContext,
} from './listener-kit.js';

/** /request-access, the Home "Request access" button, the request modal and its target select. */
export function registerRequestListeners(ctx: ListenerContext): void {
  const { app, client, deps, people } = ctx;

  registerModalOpener(ctx, {
    command: COMMANDS.requestAccess,
    homeAction: ACTIONS.openRequestModal,
    where: { command: 'request-access', home: 'home-request' },
    // Opens the request modal (the command's text preselects a target), or says why not.
    open: async (userId, triggerId, text) => {
      const { person, identity } = await identifyPerson(people, slackPerson(userId));
      if (!identity.ok) return identity.message;
      const targets = requestableTargets(deps.policy.current(), person);
      if (targets.length === 0) return 'There is nothing in the access policy you may request.';
      const selectedId = text?.trim() || undefined;
      const accounts = await accountChoices(deps, selectedTarget(targets, selectedId));
      await client.views.open({
        trigger_id: triggerId,
        view: requestModal(targets, selectedId, accounts),
      });
      return undefined;
    },
  });

  // Choosing a target redraws the modal with that target's accounts, duration and ticket fields
  // (views.update on the dispatch_action the modal already has: the picker depends on the target).
  app.action<BlockAction>({ action_id: ACTIONS.target, type: 'block_actions' }, async ({ ack, body }) => {
    await ack();
    const view = body.view;
    if (!view || view.callback_id !== CALLBACKS.requestModal) return;
    try {
      const person = await resolvePerson(people, slackPerson(body.user.id));
      const selected = selectedValue(view.state.values, BLOCKS.target, ACTIONS.target);
      const targets = requestableTargets(deps.policy.current(), person);
      const accounts = await accountChoices(deps, selectedTarget(targets, selected));
      await client.views.update({
        view_id: view.id,
        hash: view.hash,
        view: requestModal(targets, selected, accounts),
      });
    } catch (error) {
      ctx.describeError(error, 'request-modal-target');
    }
  });

  onRequestForm(
    ctx,
    CALLBACKS.requestModal,
    'submit',
    BLOCKS.target,
    async ({ form, view, person, principal, idempotencyKey }) => {
      if (!form.targetId) return inlineError(view, BLOCKS.target, 'Choose a target.');
      const picked = await checkAccountChoice(
        deps,
        findTarget(deps.policy.current(), form.targetId),
        form.accounts,
      );
      if (!picked.ok) return inlineError(view, BLOCKS.accounts, picked.message);
      const result = await submitRequest(deps, {
        ...form,
        targetId: form.targetId,
        requester: person,
        principal,
        idempotencyKey,
      });
      if (result.outcome === 'refused') {
        return inlineError(view, FIELD_BLOCKS[result.field ?? 'target'], result.message);
      }
      const scheduled = result.request.scheduledStartsAt;
      const text = scheduled
        ? `:calendar: Your request for *${result.request.targetId}* starting ${slackDate(scheduled)} ${result.outcome === 'approved' ? 'was approved; access is set up at the start' : 'went to its approvers'}. You can cancel it from the Home tab before it starts.`
        : result.outcome === 'approved'
          ? `:white_check_mark: *${result.request.targetId}* was approved automatically; access is being set up.`
          : `:hourglass: Your request for *${result.request.targetId}* went to its approvers. You will get a message when it is decided.`;
      return doneModal('Request sent', text);
    },
  );
}
