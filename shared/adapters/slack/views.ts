import type { types } from '@slack/bolt';
import { MAX_REASON_LENGTH, MAX_TICKET_LENGTH } from '../../domain/decision.js';
import { formatDuration } from '../../domain/duration.js';
import type { Target } from '../../domain/policy.js';
import type { IssuedCredentials } from '../../domain/ports.js';
import type { AccessRequest } from '../../domain/request.js';
import type { MyAccess } from '../../usecases/list-my-access.js';
import { ACTIONS, BLOCKS, CALLBACKS } from './ids.js';

/**
 * Block Kit builders: every modal, message and Home tab the broker shows. Pure functions
 * of their inputs (no I/O, no clock), so tests can assert on them and the listeners stay thin.
 */

export type Block = types.KnownBlock;
export type ModalView = types.ModalView;
export type HomeView = types.HomeView;

export interface SlackMessage {
  readonly text: string;
  readonly blocks: Block[];
}

const MAX_TEXT = 2900; // a section's text is limited to 3000 characters

function plain(text: string) {
  return { type: 'plain_text' as const, text: text.slice(0, 150), emoji: true };
}

function mrkdwn(text: string) {
  return { type: 'mrkdwn' as const, text: text.slice(0, MAX_TEXT) };
}

/** Escapes user text for mrkdwn so a reason cannot ping @channel or forge links. */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function section(text: string): Block {
  return { type: 'section', text: mrkdwn(text) };
}

function context(text: string): Block {
  return { type: 'context', elements: [mrkdwn(text)] };
}

/** A time rendered by Slack in the reader's time zone, with the ISO time as the fallback. */
export function slackDate(iso: string): string {
  const epoch = Math.floor(Date.parse(iso) / 1000);
  return `<!date^${epoch}^{date_short_pretty} {time}|${iso}>`;
}

function user(id: string): string {
  return id.startsWith('system:') ? id.slice('system:'.length) : `<@${id}>`;
}

function targetOption(target: Target) {
  return {
    text: plain(`${target.id} (${target.kind})`),
    description: plain(target.description.slice(0, 75)),
    value: target.id,
  };
}

function limitsOf(target: Target): string {
  return `default ${formatDuration(target.defaultDurationSeconds)}, at most ${formatDuration(target.maxDurationSeconds)}`;
}

/** Private metadata of the modals: which request or grant they are about. */
export interface ModalMetadata {
  readonly requestId?: string;
}

export function encodeMetadata(metadata: ModalMetadata): string {
  return JSON.stringify(metadata);
}

export function decodeMetadata(text: string | undefined): ModalMetadata {
  try {
    const value: unknown = JSON.parse(text ?? '{}');
    if (value && typeof value === 'object' && 'requestId' in value && typeof value.requestId === 'string') {
      return { requestId: value.requestId };
    }
  } catch {
    // fall through: no metadata
  }
  return {};
}

function targetInput(targets: readonly Target[], selected: Target | undefined, dispatch: boolean): Block {
  return {
    type: 'input',
    block_id: BLOCKS.target,
    label: plain('What do you need?'),
    dispatch_action: dispatch,
    element: {
      type: 'static_select',
      action_id: ACTIONS.target,
      placeholder: plain('Choose a target'),
      options: targets.map(targetOption),
      ...(selected ? { initial_option: targetOption(selected) } : {}),
    },
  };
}

function durationInput(initialSeconds: number | undefined, hint: string): Block {
  return {
    type: 'input',
    block_id: BLOCKS.duration,
    optional: true,
    label: plain('For how long?'),
    hint: plain(hint),
    element: {
      type: 'plain_text_input',
      action_id: ACTIONS.duration,
      placeholder: plain('e.g. 30m, 1h, 1h30m'),
      max_length: 16,
      ...(initialSeconds === undefined ? {} : { initial_value: formatDuration(initialSeconds) }),
    },
  };
}

function reasonInput(required: boolean, label = 'Why do you need it?'): Block {
  return {
    type: 'input',
    block_id: BLOCKS.reason,
    optional: !required,
    label: plain(label),
    element: {
      type: 'plain_text_input',
      action_id: ACTIONS.reason,
      multiline: true,
      max_length: MAX_REASON_LENGTH,
    },
  };
}

function ticketInput(required: boolean, hint?: string): Block {
  return {
    type: 'input',
    block_id: BLOCKS.ticket,
    optional: !required,
    label: plain('Ticket'),
    ...(hint ? { hint: plain(hint) } : {}),
    element: {
      type: 'plain_text_input',
      action_id: ACTIONS.ticket,
      placeholder: plain('e.g. OPS-1234'),
      max_length: MAX_TICKET_LENGTH,
    },
  };
}

/**
 * The `/request-access` modal: the targets this person may request, the duration (the
 * target's default and maximum), the reason, and a ticket field where the target needs one.
 * Choosing a target re-renders the modal for it (dispatch_action).
 */
export function requestModal(targets: readonly Target[], selectedId?: string): ModalView {
  const selected =
    targets.find((t) => t.id === selectedId) ?? (targets.length === 1 ? targets[0] : undefined);
  const blocks: Block[] = [targetInput(targets, selected, targets.length > 1)];
  if (selected) {
    blocks.push(context(escapeText(selected.description)));
    blocks.push(durationInput(selected.defaultDurationSeconds, `${limitsOf(selected)}.`));
    blocks.push(reasonInput(selected.requireReason));
    if (selected.requireTicket)
      blocks.push(
        ticketInput(true, selected.ticketPattern ? `Format: ${selected.ticketPattern}` : undefined),
      );
  } else {
    blocks.push(durationInput(undefined, 'Leave empty for the target’s default.'));
    blocks.push(context(targets.map((t) => `*${t.id}*: ${limitsOf(t)}`).join('\n')));
    blocks.push(reasonInput(false));
    const needTicket = targets.filter((t) => t.requireTicket).map((t) => t.id);
    if (needTicket.length > 0) blocks.push(ticketInput(false, `Required for ${needTicket.join(', ')}.`));
  }
  return {
    type: 'modal',
    callback_id: CALLBACKS.requestModal,
    title: plain('Request access'),
    submit: plain('Request'),
    close: plain('Cancel'),
    private_metadata: encodeMetadata({}),
    blocks,
  };
}

/** "Extend": a request for more time on a live grant, through the same approval rules. */
export function extendModal(grant: AccessRequest, target: Target, now: Date): ModalView {
  const blocks: Block[] = [
    section(
      `Extend *${target.id}* (${grant.endsAt ? `ends ${slackDate(grant.endsAt)}` : `not active yet`}).`,
    ),
    context(
      `The extension runs on from the current end, up to ${formatDuration(target.maxDurationSeconds)} from the approval (as of ${slackDate(now.toISOString())}).`,
    ),
    durationInput(target.defaultDurationSeconds, `How much more time: ${limitsOf(target)}.`),
    reasonInput(target.requireReason),
  ];
  if (target.requireTicket) blocks.push(ticketInput(true));
  return {
    type: 'modal',
    callback_id: CALLBACKS.extendModal,
    title: plain('Extend access'),
    submit: plain('Request'),
    close: plain('Cancel'),
    private_metadata: encodeMetadata({ requestId: grant.id }),
    blocks,
  };
}

/** Asked when an approver clicks Deny: the reason is mandatory. */
export function denyModal(request: AccessRequest): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACKS.denyModal,
    title: plain('Deny request'),
    submit: plain('Deny'),
    close: plain('Cancel'),
    private_metadata: encodeMetadata({ requestId: request.id }),
    blocks: [
      section(`Deny ${user(request.requester)}'s request for *${request.targetId}*?`),
      {
        type: 'input',
        block_id: BLOCKS.denyReason,
        label: plain('Reason (sent to the requester)'),
        element: {
          type: 'plain_text_input',
          action_id: ACTIONS.denyReason,
          multiline: true,
          max_length: MAX_REASON_LENGTH,
        },
      },
    ],
  };
}

/** Break-glass: immediate access for listed responders; the reason is mandatory. */
export function breakGlassModal(targets: readonly Target[], limitSeconds: number): ModalView {
  const selected = targets.length === 1 ? targets[0] : undefined;
  return {
    type: 'modal',
    callback_id: CALLBACKS.breakGlassModal,
    title: plain('Break glass'),
    submit: plain('Break glass'),
    close: plain('Cancel'),
    private_metadata: encodeMetadata({}),
    blocks: [
      section(
        ':rotating_light: *Emergency access, granted at once.* The security channel is told now and the grant is reviewed afterwards.',
      ),
      targetInput(targets, selected, false),
      durationInput(
        undefined,
        `Leave empty for the default; break-glass lasts at most ${formatDuration(limitSeconds)}.`,
      ),
      reasonInput(true, 'What is on fire?'),
      ticketInput(false, 'Incident reference, if there is one.'),
    ],
  };
}

function credentialsShell(blocks: Block[]): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACKS.credentialsModal,
    title: plain('AWS credentials'),
    close: plain('Close'),
    blocks,
  };
}

/** Opened at once on "Get credentials"; the grant worker fills it in (views.update). */
export function credentialsLoadingModal(requestId: string): ModalView {
  return {
    ...credentialsShell([
      section(':hourglass_flowing_sand: Getting a session for you…'),
      context('This takes a few seconds. Keep this window open.'),
    ]),
    private_metadata: encodeMetadata({ requestId }),
  };
}

/**
 * The filled credentials modal: a console link and CLI `export` lines. Shown only to the
 * requester, in a modal; never posted to a channel, stored or logged.
 */
export function credentialsModal(grant: AccessRequest, credentials: IssuedCredentials): ModalView {
  const exports = [
    `export AWS_ACCESS_KEY_ID=${credentials.accessKeyId}`,
    `export AWS_SECRET_ACCESS_KEY=${credentials.secretAccessKey}`,
    `export AWS_SESSION_TOKEN=${credentials.sessionToken}`,
  ].join('\n');
  return credentialsShell([
    section(`*${grant.targetId}*: session valid until ${slackDate(credentials.expiration.toISOString())}.`),
    {
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: ACTIONS.openConsole,
          text: plain('Open the AWS console'),
          url: credentials.consoleUrl,
          style: 'primary',
        },
      ],
    },
    section('*CLI*: paste into your shell.'),
    section('```' + exports + '```'),
    context('Do not share these. They stop working when your grant ends.'),
  ]);
}

/** The credentials modal when no credentials were issued, with the reason. */
export function credentialsFailureModal(message: string): ModalView {
  return credentialsShell([section(`:warning: No credentials were issued. ${escapeText(message)}`)]);
}

function requestFields(request: AccessRequest, target: Target | undefined): Block {
  const fields = [
    mrkdwn(`*Requester*\n${user(request.requester)}`),
    mrkdwn(`*Target*\n${request.targetId}${target ? ` (${target.kind})` : ''}`),
    mrkdwn(`*Duration*\n${formatDuration(request.durationSeconds)}`),
    mrkdwn(`*Ticket*\n${request.ticket ? escapeText(request.ticket) : '—'}`),
  ];
  return { type: 'section', fields };
}

function reasonBlock(request: AccessRequest): Block {
  return section(`*Reason*\n${request.reason ? escapeText(request.reason) : '_none given_'}`);
}

/** "1 of 2 approvals" (by whom). */
export function progressText(request: AccessRequest): string {
  const by = request.approvals.map((a) => user(a.approver)).join(', ');
  return `${request.approvals.length} of ${request.approvalsRequired} approval${request.approvalsRequired === 1 ? '' : 's'}${by ? ` (${by})` : ''}`;
}

/** The approval post: who, what, how long, why, ticket; progress; Approve / Deny. */
export function approvalMessage(
  request: AccessRequest,
  target: Target | undefined,
  options: { reminder?: boolean } = {},
): SlackMessage {
  const lead = options.reminder ? ':bell: *Reminder: still waiting for a decision*' : '*Access request*';
  const extension = request.extendsRequestId ? ' (extension of a live grant)' : '';
  return {
    text: `${options.reminder ? 'Reminder: ' : ''}${user(request.requester)} requests ${request.targetId} for ${formatDuration(request.durationSeconds)}`,
    blocks: [
      section(`${lead}${extension}: ${user(request.requester)} asks for *${request.targetId}*.`),
      requestFields(request, target),
      reasonBlock(request),
      context(`${progressText(request)} · requested ${slackDate(request.createdAt)} · id ${request.id}`),
      {
        type: 'actions',
        block_id: BLOCKS.approvalActions,
        elements: [
          {
            type: 'button',
            action_id: ACTIONS.approve,
            text: plain('Approve'),
            style: 'primary',
            value: request.id,
          },
          {
            type: 'button',
            action_id: ACTIONS.deny,
            text: plain('Deny'),
            style: 'danger',
            value: request.id,
          },
        ],
      },
    ],
  };
}

/** One line saying how a request was decided (who and when), for the in-place update. */
export function outcomeText(request: AccessRequest): string {
  const when = request.decidedAt ? ` ${slackDate(request.decidedAt)}` : '';
  switch (request.status) {
    case 'PENDING':
      return `:hourglass: Pending: ${progressText(request)}`;
    case 'DENIED':
      return `:no_entry: Denied by ${user(request.decidedBy ?? 'system:unknown')}${when}: ${escapeText(request.decisionReason ?? '')}`;
    case 'CANCELLED':
      return `:heavy_multiplication_x: Cancelled by the requester${when}`;
    case 'TIMED_OUT':
      return `:alarm_clock: Timed out${when}: nobody decided in time`;
    case 'FAILED':
      return `:x: Approved, but the grant failed`;
    default: {
      const by =
        request.approvals.length > 0
          ? request.approvals.map((a) => user(a.approver)).join(', ')
          : user(request.decidedBy ?? 'system:unknown');
      const status =
        request.status === 'APPROVED'
          ? 'Approved'
          : request.status === 'ACTIVE'
            ? 'Approved (active)'
            : `Approved (now ${request.status.toLowerCase()})`;
      return `:white_check_mark: ${status} by ${by}${when}`;
    }
  }
}

/** The approval post once decided: the same facts, who decided and when, no buttons. */
export function decidedMessage(request: AccessRequest, target: Target | undefined): SlackMessage {
  const outcome = outcomeText(request);
  return {
    text: `${request.targetId} for ${user(request.requester)}: ${request.status}`,
    blocks: [
      section(`*Access request*: ${user(request.requester)} asked for *${request.targetId}*.`),
      requestFields(request, target),
      reasonBlock(request),
      section(outcome),
      context(`id ${request.id}`),
    ],
  };
}

/** The loud post to the security channel, with "Mark reviewed" for reviewers. */
export function breakGlassAlert(request: AccessRequest, target: Target | undefined): SlackMessage {
  const reviewed = request.reviewedAt
    ? section(
        `:white_check_mark: Reviewed by ${user(request.reviewedBy ?? 'system:unknown')} ${slackDate(request.reviewedAt)}${request.reviewNote ? `: ${escapeText(request.reviewNote)}` : ''}`,
      )
    : undefined;
  return {
    text: `BREAK-GLASS: ${user(request.requester)} took ${request.targetId}`,
    blocks: [
      {
        type: 'header',
        text: plain(':rotating_light: BREAK-GLASS ACCESS'),
      },
      section(
        `<!here> ${user(request.requester)} broke glass on *${request.targetId}* until ${request.endsAt ? slackDate(request.endsAt) : 'unknown'}.`,
      ),
      requestFields(request, target),
      reasonBlock(request),
      ...(reviewed
        ? [reviewed]
        : [
            context('Needs review by a break-glass reviewer.'),
            {
              type: 'actions' as const,
              elements: [
                {
                  type: 'button' as const,
                  action_id: ACTIONS.reviewBreakGlass,
                  text: plain('Mark reviewed'),
                  value: request.id,
                },
              ],
            },
          ]),
      context(`id ${request.id}`),
    ],
  };
}

/** The App Home tab: pending requests and live grants with time left and their buttons. */
export function homeView(access: MyAccess, notice?: string): HomeView {
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
        `*${request.targetId}* (${request.targetKind}) · ${formatDuration(grant.secondsLeft)} left · ends ${request.endsAt ? slackDate(request.endsAt) : '?'}${flags ? ` · ${flags}` : ''}`,
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
  blocks.push({ type: 'divider' }, section('*Pending requests*'));
  if (access.pending.length === 0) blocks.push(context('None.'));
  for (const request of access.pending) {
    blocks.push(
      section(
        `*${request.targetId}* for ${formatDuration(request.durationSeconds)} · ${progressText(request)} · asked ${slackDate(request.createdAt)}`,
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
  return { type: 'home', blocks: blocks.slice(0, 100) };
}
