import { slackPerson } from '../../../shared/domain/person.js';
import { extendWithGrace } from '../../../shared/usecases/grace-extension.js';
import { identifyPerson } from '../../../shared/usecases/identify-person.js';
import { ACTIONS } from '../../../shared/adapters/slack/ids.js';
import { slackDate } from '../../../shared/adapters/slack/views/blocks.js';
import { extendModal } from '../../../shared/adapters/slack/views/modals.js';
import { onButton, type ListenerContext } from './listener-kit.js';

/**
 * The time side of the lifecycle: the "Extend" button of the expiry warning. Within the grace
 * budget the extension is approved at once; beyond it, the Extend form opens so the holder
 * asks the approvers for a normal extension (the existing extension flow, see home.ts).
 */
export function registerLifecycleListeners(ctx: ListenerContext): void {
  const { client, deps, people } = ctx;

  onButton(ctx, ACTIONS.graceExtend, 'grace-extend', async ({ requestId, userId, channel, body }) => {
    const { person, identity } = await identifyPerson(people, slackPerson(userId));
    if (!identity.ok) return await ctx.ephemeral(userId, channel, identity.message);
    const result = await extendWithGrace(deps, {
      requestId,
      requester: person,
      principal: identity.principal,
    });
    if (result.outcome === 'approved') {
      const end = result.request.endsAt ? slackDate(result.request.endsAt) : 'later';
      return await ctx.ephemeral(
        userId,
        channel,
        `:hourglass: Your *${result.request.targetId}* access is extended until ${end}, without a gap.`,
      );
    }
    if (!('original' in result) || !result.target)
      return await ctx.ephemeral(userId, channel, result.message);
    // Beyond the grace budget: a normal extension, decided by the approvers.
    await client.views.open({
      trigger_id: body.trigger_id,
      view: extendModal(
        result.original,
        result.target,
        deps.clock.now(),
        `${result.message} Ask the approvers for more time instead.`,
      ),
    });
  });
}
