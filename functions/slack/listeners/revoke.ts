import { slackPerson } from '../../../shared/domain/person.js';
import { resolvePerson } from '../../../shared/usecases/identify-person.js';
import {
  prepareRevoke,
  prepareRevokeAll,
  revokeAccess,
  revokeAllAccess,
} from '../../../shared/usecases/revoke-access.js';
import { ACTIONS, BLOCKS, CALLBACKS, COMMANDS } from '../../../shared/adapters/slack/ids.js';
import { decodeMetadata } from '../../../shared/adapters/slack/views/blocks.js';
import { revokeModal } from '../../../shared/adapters/slack/views/modals.js';
import { doneModal, onButton, textValue, type ListenerContext } from './listener-kit.js';

/** How /revoke-access names its person: `<@U…|name>` (escaped mention) or a bare user id, then a target. */
const REVOKE_ARGS =
  /^\s*(?:<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>|([UW][A-Z0-9]{2,}))(?:\s+([a-z][a-z0-9-]{0,63}))?\s*$/;

/** The person and optional target of `/revoke-access @person [target]`, or undefined. */
export function parseRevokeArgs(text: string): { holder: string; targetId?: string } | undefined {
  const match = REVOKE_ARGS.exec(text);
  const holder = match?.[1] ?? match?.[2];
  if (!match || holder === undefined) return undefined;
  return match[3] === undefined ? { holder } : { holder, targetId: match[3] };
}

/**
 * Revoking someone else's access: the Revoke button (approval post, security alert, a security
 * member's Home tab), `/revoke-access @person [target]` for the security set, and the reason
 * modal both open. Who may is decided by the use cases before the modal opens and again on submit.
 */
export function registerRevokeListeners(ctx: ListenerContext): void {
  const { app, client, deps, people } = ctx;

  onButton(ctx, ACTIONS.revoke, 'revoke-open', async ({ requestId, userId, channel, body }) => {
    const revoker = await resolvePerson(people, slackPerson(userId));
    const prepared = await prepareRevoke(deps, { requestId, revoker });
    if (prepared.outcome === 'refused') return await ctx.ephemeral(userId, channel, prepared.message);
    await client.views.open({ trigger_id: body.trigger_id, view: revokeModal({ grant: prepared.grant }) });
  });

  app.command(COMMANDS.revokeAccess, async ({ command, ack }) => {
    const reply = (text: string) => ack({ response_type: 'ephemeral', text });
    const args = parseRevokeArgs(command.text);
    if (!args) return reply(`Usage: ${COMMANDS.revokeAccess} @person [target]`);
    try {
      const revoker = await resolvePerson(people, slackPerson(command.user_id));
      const prepared = prepareRevokeAll(deps, revoker);
      if (prepared.outcome === 'refused') return reply(prepared.message);
      await client.views.open({ trigger_id: command.trigger_id, view: revokeModal(args) });
      return ack();
    } catch (error) {
      return reply(ctx.describeError(error, 'revoke-all-open'));
    }
  });

  app.view(CALLBACKS.revokeModal, async ({ ack, body, view }) => {
    const { requestId, holder, targetId } = decodeMetadata(view.private_metadata);
    const reason = textValue(view.state.values, BLOCKS.revokeReason, ACTIONS.revokeReason) ?? '';
    const inline = (message: string) =>
      ack({ response_action: 'errors', errors: { [BLOCKS.revokeReason]: message.slice(0, 150) } });
    try {
      const revoker = await resolvePerson(people, slackPerson(body.user.id));
      if (requestId) {
        const result = await revokeAccess(deps, { requestId, revoker, reason });
        return result.outcome === 'refused' ? inline(result.message) : ack();
      }
      if (!holder) return inline('This form has lost its grant; open it again.');
      const result = await revokeAllAccess(deps, {
        holder,
        ...(targetId === undefined ? {} : { targetId }),
        revoker,
        reason,
      });
      if (result.outcome === 'refused') return inline(result.message);
      const count = result.revoked.length;
      return ack(
        doneModal(
          'Access revoked',
          count === 0
            ? `<@${holder}> holds no live grant${targetId ? ` on *${targetId}*` : ''}.`
            : `:lock: ${count} live grant${count === 1 ? '' : 's'} of <@${holder}> ${count === 1 ? 'is' : 'are'} being ended; they are told who and why.`,
        ),
      );
    } catch (error) {
      return inline(ctx.describeError(error, 'revoke'));
    }
  });
}
