import { slackPerson } from '../../../shared/domain/person.js';
import { breakGlass, reviewBreakGlass } from '../../../shared/usecases/break-glass.js';
import { identifyPerson, resolvePerson } from '../../../shared/usecases/identify-person.js';
import { breakGlassChoices } from '../../../shared/usecases/prepare-forms.js';
import { ACTIONS, BLOCKS, CALLBACKS, COMMANDS, FIELD_BLOCKS } from '../../../shared/adapters/slack/ids.js';
import { breakGlassModal } from '../../../shared/adapters/slack/views/modals.js';
import {
  doneModal,
  inlineError,
  onButton,
  onRequestForm,
  registerModalOpener,
  type ListenerContext,
} from './listener-kit.js';

/** /break-glass, the Home "Break glass" button, the break-glass modal and the reviewers' button. */
export function registerBreakGlassListeners(ctx: ListenerContext): void {
  const { client, deps, people } = ctx;

  registerModalOpener(ctx, {
    command: COMMANDS.breakGlass,
    homeAction: ACTIONS.openBreakGlassModal,
    where: { command: 'break-glass', home: 'home-break-glass' },
    open: async (userId, triggerId) => {
      const { person, identity } = await identifyPerson(people, slackPerson(userId));
      const choices = breakGlassChoices(deps, person);
      if (choices.outcome === 'refused') return choices.message;
      if (!identity.ok) return identity.message;
      await client.views.open({
        trigger_id: triggerId,
        view: breakGlassModal(choices.targets, choices.maxDurationSeconds),
      });
      return undefined;
    },
  });

  onRequestForm(
    ctx,
    CALLBACKS.breakGlassModal,
    'break-glass',
    BLOCKS.target,
    async ({ form, view, person, principal, idempotencyKey }) => {
      const result = await breakGlass(deps, {
        requester: person,
        principal,
        targetId: form.targetId ?? '',
        reason: form.reason ?? '',
        ...(form.durationSeconds === undefined ? {} : { durationSeconds: form.durationSeconds }),
        ...(form.ticket === undefined ? {} : { ticket: form.ticket }),
        idempotencyKey,
      });
      if (result.outcome === 'refused') {
        return inlineError(view, FIELD_BLOCKS[result.field ?? 'target'], result.message);
      }
      return doneModal(
        'Glass broken',
        `:rotating_light: *${result.request.targetId}* is being granted now. Security has been told.`,
      );
    },
  );

  onButton(ctx, ACTIONS.reviewBreakGlass, 'review', async ({ requestId, userId }) => {
    const reviewer = await resolvePerson(people, slackPerson(userId));
    await reviewBreakGlass(deps, { requestId, reviewer });
  });
}
