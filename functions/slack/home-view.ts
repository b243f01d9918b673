import { formatDuration } from '../../shared/domain/duration.js';
import { grantScopeText, unnamedGrant, type GrantNames } from '../../shared/domain/grant-names.js';
import type { AccessRequest } from '../../shared/domain/request.js';
import type { MyAccess } from '../../shared/usecases/list-my-access.js';
import { ACTIONS } from '../../shared/adapters/slack/ids.js';
import {
  context,
  escapeText,
  mrkdwn,
  plain,
  section,
  slackDate,
  type Block,
  user,
  type HomeView,
} from '../../shared/adapters/slack/views/blocks.js';
import { progressText, revokeButton } from '../../shared/adapters/slack/views/messages.js';

/** The App Home tab ("my access"). A pure function of its input (no I/O, no clock). */

/**
 * The App Home tab: pending requests and live grants with time left and their buttons; for a
 * security member, everyone's live grants (`othersLive`, newest first) with "Revoke", and how
 * many more there are (`othersMore`, shown as "and N more").
 */
export function homeView(
  access: MyAccess,
  notice?: string,
  othersLive: readonly AccessRequest[] = [],
  othersMore = 0,
  /** Account and permission-set names by request id (a request without: its account id alone). */
  names: ReadonlyMap<string, GrantNames> = new Map(),
): HomeView {
  const where = (request: AccessRequest) => scopeOf(request, names);
  const blocks: Block[] = [
    { type: 'header', text: plain('My access') },
    {
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: ACTIONS.openRequestModal,
          text: plain('Request access'),
          style: 'primary',
        },
        ...(access.canBreakGlass
          ? [
              {
                type: 'button' as const,
                action_id: ACTIONS.openBreakGlassModal,
                text: plain('Break glass'),
                style: 'danger' as const,
              },
            ]
          : []),
      ],
    },
  ];
  if (notice) blocks.push(section(escapeText(notice)));
  blocks.push({ type: 'divider' }, section('*Live grants*'));
  if (access.live.length === 0) blocks.push(context('None.'));
  for (const grant of access.live) {
    const { request } = grant;
    const flags = [
      request.breakGlass ? ':rotating_light: break-glass' : '',
      request.status === 'APPROVED' ? 'being granted' : '',
    ]
      .filter(Boolean)
      .join(' · ');
    blocks.push({
      type: 'section',
      text: mrkdwn(
        `*${request.targetId}* (${request.targetKind})${where(request)} · ${formatDuration(grant.secondsLeft)} left · ends ${request.endsAt ? slackDate(request.endsAt) : '?'}${flags ? ` · ${flags}` : ''}`,
      ),
    });
    blocks.push({
      type: 'actions',
      elements: [
        ...(grant.canGetCredentials
          ? [
              {
                type: 'button' as const,
                action_id: ACTIONS.getCredentials,
                text: plain('Get credentials'),
                style: 'primary' as const,
                value: request.id,
              },
            ]
          : []),
        { type: 'button', action_id: ACTIONS.extend, text: plain('Extend'), value: request.id },
        {
          type: 'button',
          action_id: ACTIONS.release,
          text: plain('Release now'),
          style: 'danger',
          value: request.id,
          confirm: {
            title: plain('Release now?'),
            text: plain(`Your ${request.targetId} access ends now.`),
            confirm: plain('Release'),
            deny: plain('Keep it'),
          },
        },
      ],
    });
  }
  if (access.scheduled.length > 0) blocks.push(...scheduledBlocks(access.scheduled, where));
  blocks.push({ type: 'divider' }, section('*Pending requests*'));
  if (access.pending.length === 0) blocks.push(context('None.'));
  for (const request of access.pending) {
    blocks.push(
      section(
        `*${request.targetId}*${where(request)} for ${formatDuration(request.durationSeconds)} · ${progressText(request)} · asked ${slackDate(request.createdAt)}`,
      ),
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            action_id: ACTIONS.cancel,
            text: plain('Cancel request'),
            value: request.id,
            confirm: {
              title: plain('Cancel this request?'),
              text: plain(`Your request for ${request.targetId} is withdrawn; its approvers are told.`),
              confirm: plain('Cancel it'),
              deny: plain('Keep it'),
            },
          },
        ],
      },
    );
  }
  if (othersLive.length > 0) {
    blocks.push({ type: 'divider' }, section('*Everyone’s live grants* (security)'));
    for (const grant of othersLive) {
      blocks.push({
        type: 'section',
        text: mrkdwn(
          `${user(grant.requester)} · *${grant.targetId}* (${grant.targetKind})${where(grant)} · ends ${grant.endsAt ? slackDate(grant.endsAt) : '?'}${grant.breakGlass ? ' · :rotating_light: break-glass' : ''}${grant.endRequest ? ' · being ended' : ''}`,
        ),
        ...(grant.endRequest ? {} : { accessory: revokeButton(grant) }),
      });
    }
    if (othersMore > 0) {
      blocks.push(
        context(
          `…and ${othersMore} more live grant${othersMore === 1 ? '' : 's'}: end one with \`/revoke-access @person\`.`,
        ),
      );
    }
  }
  return { type: 'home', blocks: blocks.slice(0, 100) };
}

/**
 * " · AdministratorAccess in Prod (111122223333)": where a grant applies, named when its names
 * were looked up, its account id alone otherwise; empty for a grant with neither.
 */
function scopeOf(request: AccessRequest, names: ReadonlyMap<string, GrantNames>): string {
  const scope = grantScopeText(names.get(request.id) ?? unnamedGrant(request));
  return scope === undefined ? '' : ` · ${escapeText(scope)}`;
}

/** Approved grants that start later: their window, and Cancel until the start. */
function scheduledBlocks(
  scheduled: MyAccess['scheduled'],
  where: (request: AccessRequest) => string,
): Block[] {
  const blocks: Block[] = [{ type: 'divider' }, section('*Scheduled grants*')];
  for (const request of scheduled) {
    blocks.push(
      section(
        `:calendar: *${request.targetId}*${where(request)} from ${request.startsAt ? slackDate(request.startsAt) : '?'} to ${request.endsAt ? slackDate(request.endsAt) : '?'} · approved`,
      ),
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            action_id: ACTIONS.cancel,
            text: plain('Cancel'),
            value: request.id,
            confirm: {
              title: plain('Cancel this grant?'),
              text: plain(`Your ${request.targetId} access will not start.`),
              confirm: plain('Cancel it'),
              deny: plain('Keep it'),
            },
          },
        ],
      },
    );
  }
  return blocks;
}
