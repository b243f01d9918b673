import { formatDuration } from '../../../domain/duration.js';
import type { GrantNames } from '../../../domain/grant-names.js';
import type { Target } from '../../../domain/policy.js';
import type { AccessRequest } from '../../../domain/request.js';
import { ACTIONS } from '../ids.js';
import { context, plain, section, slackDate, type SlackMessage } from './blocks.js';
import { targetLabel } from './messages.js';

/**
 * The DMs of the time side of the lifecycle: the expiry warning (with its "Extend" button)
 * and the scheduled-grant notices. Pure functions of their inputs (no I/O, no clock).
 */

/**
 * The expiry warning: the end time and one button. A target with a grace extension offers
 * "Extend <max>" (auto-approved within its budget, else the Extend form for the approvers);
 * any other offers the Extend form. `names` name the grant's account ("Prod (111122223333)").
 */
export function expiryWarningMessage(
  grant: AccessRequest,
  target: Target | undefined,
  names?: GrantNames,
): SlackMessage {
  const end = grant.endsAt ? slackDate(grant.endsAt) : 'soon';
  const grace = target?.graceExtension;
  const button = grace
    ? {
        type: 'button' as const,
        action_id: ACTIONS.graceExtend,
        text: plain(`Extend ${formatDuration(grace.maxSeconds)}`),
        style: 'primary' as const,
        value: grant.id,
      }
    : { type: 'button' as const, action_id: ACTIONS.extend, text: plain('Extend…'), value: grant.id };
  return {
    text: `Your ${grant.targetId} access ends ${end}`,
    blocks: [
      section(`:hourglass_flowing_sand: Your ${targetLabel(grant.targetId, names)} access ends ${end}.`),
      { type: 'actions', elements: [button] },
      context(
        grace
          ? `One tap adds ${formatDuration(grace.maxSeconds)} without a new approval (once per grant, within the target's maximum); more goes to the approvers.`
          : 'More time goes to the approvers.',
      ),
    ],
  };
}

/** The DM that tells a requester their approved grant starts later (its accounts named by `names`). */
export function scheduledApprovalText(grant: AccessRequest, names?: GrantNames): string {
  return `:calendar: Your request for ${targetLabel(grant.targetId, names)} was approved for ${grant.startsAt ? slackDate(grant.startsAt) : 'its start'} to ${grant.endsAt ? slackDate(grant.endsAt) : '?'}. Access is set up at the start; you can cancel it from the app's Home tab until then.`;
}
