import type { BlockAction } from '@slack/bolt';
import { BrokerError } from '../../../shared/domain/errors.js';
import { cancelRequest } from '../../../shared/usecases/cancel-request.js';
import { prepareExtension } from '../../../shared/usecases/prepare-forms.js';
import { releaseGrant } from '../../../shared/usecases/release-grant.js';
import { requestCredentials } from '../../../shared/usecases/request-credentials.js';
import { submitRequest } from '../../../shared/usecases/submit-request.js';
import { ACTIONS, BLOCKS, CALLBACKS, FIELD_BLOCKS } from '../../../shared/adapters/slack/ids.js';
import { replyToSlackView } from '../../../shared/adapters/slack/reply-to.js';
import { decodeMetadata } from '../../../shared/adapters/slack/views/blocks.js';
import {
  credentialsFailureModal,
  credentialsLoadingModal,
  extendModal,
} from '../../../shared/adapters/slack/views/modals.js';
import {
  doneModal,
  inlineError,
  onButton,
  onRequestForm,
  reportOnHome,
  type ListenerContext,
} from './listener-kit.js';

/** The App Home tab ("my access"): cancel a pending request; release, extend, get credentials, console. */
export function registerHomeListeners(ctx: ListenerContext): void {
  const { app, client, deps } = ctx;

  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    try {
      await ctx.publishHome(event.user);
    } catch (error) {
      ctx.describeError(error, 'home');
    }
  });

  // Unlike the other Home buttons, a Home tab that fails to refresh here is logged.
  const showOnHome = (userId: string, notice: string) =>
    ctx.publishHome(userId, notice).catch((error: unknown) => ctx.describeError(error, 'home'));
  onButton(
    ctx,
    ACTIONS.release,
    'release',
    async ({ requestId, userId }) => {
      const grant = await releaseGrant(deps, { requestId, requester: userId });
      await showOnHome(
        userId,
        `:lock: Release of *${grant.targetId}* requested; your access is removed as soon as AWS confirms.`,
      );
    },
    (userId, _channel, message) => showOnHome(userId, message),
  );

  onButton(
    ctx,
    ACTIONS.cancel,
    'cancel',
    async ({ requestId, userId }) => {
      const request = await cancelRequest(deps, { requestId, requester: userId });
      await showOnHome(userId, `:wastebasket: Your request for *${request.targetId}* was cancelled.`);
    },
    (userId, _channel, message) => showOnHome(userId, message),
  );

  onButton(
    ctx,
    ACTIONS.extend,
    'extend-open',
    async ({ requestId, userId, body }) => {
      const extension = await prepareExtension(deps, { requestId, requester: userId });
      if (extension.outcome === 'refused') return await ctx.publishHome(userId, extension.message);
      await client.views.open({
        trigger_id: body.trigger_id,
        view: extendModal(extension.grant, extension.target, deps.clock.now()),
      });
    },
    reportOnHome(ctx),
  );

  onRequestForm(
    ctx,
    CALLBACKS.extendModal,
    'extend',
    BLOCKS.duration,
    async ({ form, view, person, principal, idempotencyKey }) => {
      const { requestId } = decodeMetadata(view.private_metadata);
      if (!requestId)
        return inlineError(view, BLOCKS.duration, 'This form has lost its grant; open it again.');
      const result = await submitRequest(deps, {
        ...form,
        targetId: '',
        extendsRequestId: requestId,
        requester: person,
        principal,
        idempotencyKey,
      });
      if (result.outcome === 'refused') {
        return inlineError(view, FIELD_BLOCKS[result.field ?? 'duration'], result.message);
      }
      return doneModal(
        'Extension requested',
        `:hourglass: Your extension of *${result.request.targetId}* is ${result.outcome === 'approved' ? 'approved' : 'with its approvers'}.`,
      );
    },
  );

  // Not onButton: a failure goes into the credentials modal once it is open.
  app.action<BlockAction>(
    { action_id: ACTIONS.getCredentials, type: 'block_actions' },
    async ({ ack, body, action }) => {
      await ack();
      const requestId = 'value' in action ? String(action.value ?? '') : '';
      let viewId: string | undefined;
      try {
        // Open the modal at once (the trigger expires in 3 s); the grant worker fills it in.
        const opened = await client.views.open({
          trigger_id: body.trigger_id,
          view: credentialsLoadingModal(requestId),
        });
        viewId = opened.view?.id;
        if (!viewId) throw new BrokerError('SLACK_NO_VIEW', 'views.open returned no view id');
        await requestCredentials(deps, {
          requestId,
          requester: body.user.id,
          replyTo: replyToSlackView(viewId),
        });
      } catch (error) {
        const message = ctx.describeError(error, 'credentials');
        if (viewId)
          await client.views
            .update({ view_id: viewId, view: credentialsFailureModal(message) })
            .catch(() => undefined);
        else await ctx.ephemeral(body.user.id, undefined, message).catch(() => undefined);
      }
    },
  );

  // Link buttons still send an action; acknowledge it so Slack shows no warning.
  app.action({ action_id: ACTIONS.openConsole }, async ({ ack }) => {
    await ack();
  });
}
