import { activityText, type ActivitySummary } from '../../../domain/activity.js';
import { formatDuration } from '../../../domain/duration.js';
import { accountsText, grantScopeText, unnamedGrant, type GrantNames } from '../../../domain/grant-names.js';
import { isLive } from '../../../domain/lifecycle.js';
import type { Target } from '../../../domain/policy.js';
import type { AccessRequest } from '../../../domain/request.js';
import type { HistoryEntry } from '../../../domain/requester-history.js';
import type { StageProgress } from '../../../domain/approval-stages.js';
import { escalationLead, stageText } from './stage-messages.js';
import { ACTIONS, BLOCKS } from '../ids.js';
import {
  context,
  escapeText,
  mrkdwn,
  plain,
  section,
  slackDate,
  user,
  type Block,
  type SlackMessage,
} from './blocks.js';

/**
 * The channel and DM messages: the approval post, its decided form and the break-glass
 * alert. Pure functions of their inputs (no I/O, no clock).
 */

function requestFields(request: AccessRequest, target: Target | undefined, names: GrantNames): Block {
  const accounts = accountsText(names);
  const fields = [
    mrkdwn(`*Requester*\n${user(request.requester)}`),
    mrkdwn(`*Target*\n${request.targetId}${target ? ` (${target.kind})` : ''}`),
    ...(accounts === undefined
      ? []
      : [mrkdwn(`*Account${names.accounts.length === 1 ? '' : 's'}*\n${escapeText(accounts)}`)]),
    ...(names.permissionSetName === undefined
      ? []
      : [mrkdwn(`*Permission set*\n${escapeText(names.permissionSetName)}`)]),
    mrkdwn(`*Duration*\n${formatDuration(request.durationSeconds)}`),
    mrkdwn(`*Ticket*\n${ticketText(request)}`),
  ];
  return { type: 'section', fields };
}

/**
 * "*shop-admin* (AdministratorAccess in Prod (111122223333))": a target as people read it in
 * a message, with where the grant applies when it names accounts or a permission set.
 */
export function targetLabel(targetId: string, names: GrantNames | undefined): string {
  const scope = names === undefined ? undefined : grantScopeText(names);
  return `*${targetId}*${scope === undefined ? '' : ` (${escapeText(scope)})`}`;
}

/** Ticket titles are cut here: a field is short, and the link leads to the rest. */
const MAX_TICKET_TITLE = 150;

/**
 * The ticket as approvers see it: its key linked to the ticket system, its title and status
 * as the system gave them at submission, and the warning when it could not be checked.
 * Requests stored before tickets were checked (no `ticketInfo`) show the key alone.
 */
export function ticketText(request: Pick<AccessRequest, 'ticket' | 'ticketInfo'>): string {
  if (!request.ticket) return '—';
  const key = escapeText(request.ticket);
  const info = request.ticketInfo;
  if (!info) return key;
  const link = linkable(info.url);
  const title = info.title ? ` ${escapeText(info.title.slice(0, MAX_TICKET_TITLE))}` : '';
  const status = info.status ? ` · _${escapeText(info.status)}_` : '';
  const warning = info.warning ? `\n:warning: ${escapeText(info.warning)}` : '';
  return `${link ? `<${link}|${key}>` : key}${title}${status}${warning}`;
}

/**
 * The URL when it can be a Slack link, else undefined (shown unlinked). Why: the URL comes
 * from an outside system's answer; only http(s), and nothing that ends Slack's `<url|text>`.
 */
function linkable(url: string): string | undefined {
  if (url === '' || /[\s|<>]/.test(url)) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
}

function reasonBlock(request: AccessRequest): Block {
  return section(`*Reason*\n${request.reason ? escapeText(request.reason) : '_none given_'}`);
}

/** "1 of 2 approvals" (by whom). */
export function progressText(request: AccessRequest): string {
  const by = request.approvals.map((a) => user(a.approver)).join(', ');
  return `${request.approvals.length} of ${request.approvalsRequired} approval${request.approvalsRequired === 1 ? '' : 's'}${by ? ` (${by})` : ''}`;
}

/** One line of the requester's history: what happened, how long, when (who and why for a denial). */
function historyLine(entry: HistoryEntry): string {
  const length = entry.durationSeconds === undefined ? '' : ` ${formatDuration(entry.durationSeconds)}`;
  const when = slackDate(entry.at);
  switch (entry.kind) {
    case 'granted':
      return `• granted${length} · ${when}`;
    case 'break-glass':
      return `• :rotating_light: break-glass${length} · ${when}`;
    case 'denied':
      return `• :no_entry: denied by ${user(entry.by ?? 'system:unknown')} · ${when}${entry.reason ? `: ${escapeText(entry.reason)}` : ''}`;
  }
}

/**
 * The requester's recent history on the target, so approvers decide with context. Absent when
 * it could not be read (the post goes out without it rather than not at all).
 */
function historyBlock(request: AccessRequest, history: readonly HistoryEntry[]): Block {
  if (history.length === 0)
    return context(`No earlier grant or denial of *${request.targetId}* for this requester.`);
  return context(`*Recent history on ${request.targetId}*\n${history.map(historyLine).join('\n')}`);
}

/** The approval post: who, what, how long, why, ticket; the requester's history; progress; Approve / Deny. */
export function approvalMessage(
  request: AccessRequest,
  target: Target | undefined,
  options: {
    reminder?: boolean;
    history?: readonly HistoryEntry[];
    /** The current stage (shown with who still has to decide); absent: approvals as one count. */
    stage?: StageProgress;
    /** The notice to the backup approvers of a stage that has not decided in time. */
    escalation?: boolean;
    /** The accounts' and permission set's names (absent: the account ids alone). */
    names?: GrantNames;
  } = {},
): SlackMessage {
  const lead = options.reminder ? ':bell: *Reminder: still waiting for a decision*' : '*Access request*';
  const progress = options.stage ? stageText(options.stage) : progressText(request);
  const extension = request.extendsRequestId ? ' (extension of a live grant)' : '';
  return {
    text: `${options.reminder ? 'Reminder: ' : ''}${user(request.requester)} requests ${request.targetId} for ${formatDuration(request.durationSeconds)}`,
    blocks: [
      ...(options.escalation && options.stage ? [section(escalationLead(options.stage))] : []),
      section(`${lead}${extension}: ${user(request.requester)} asks for *${request.targetId}*.`),
      requestFields(request, target, options.names ?? unnamedGrant(request)),
      reasonBlock(request),
      ...(options.history === undefined ? [] : [historyBlock(request, options.history)]),
      context(`${progress} · requested ${slackDate(request.createdAt)} · id ${request.id}`),
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

/**
 * "Revoke" on a live grant's posts: approvers of its target and security may end it early
 * (the click is decided again by decideRevoke and asks for a reason).
 */
export function revokeButton(request: AccessRequest) {
  return {
    type: 'button' as const,
    action_id: ACTIONS.revoke,
    text: plain('Revoke'),
    style: 'danger' as const,
    value: request.id,
  };
}

/**
 * The approval post once decided: the same facts, who decided and when; "Revoke" while the
 * grant is live, no buttons once it ended.
 */
export function decidedMessage(
  request: AccessRequest,
  target: Target | undefined,
  /** The accounts' and permission set's names (absent: the account ids alone). */
  names: GrantNames = unnamedGrant(request),
): SlackMessage {
  const outcome = outcomeText(request);
  const live = isLive(request.status);
  return {
    text: `${request.targetId} for ${user(request.requester)}: ${request.status}`,
    blocks: [
      section(`*Access request*: ${user(request.requester)} asked for *${request.targetId}*.`),
      requestFields(request, target, names),
      reasonBlock(request),
      section(outcome),
      ...(live ? [{ type: 'actions' as const, elements: [revokeButton(request)] }] : []),
      context(`id ${request.id}`),
    ],
  };
}

/** The loud post to the security channel, with "Mark reviewed" for reviewers and "Revoke" while live. */
export function breakGlassAlert(
  request: AccessRequest,
  target: Target | undefined,
  /** What was done with the grant (CloudTrail), shown to the reviewer once summarised. */
  activity?: ActivitySummary,
  /** The accounts' and permission set's names (absent: the account ids alone). */
  names: GrantNames = unnamedGrant(request),
): SlackMessage {
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
      requestFields(request, target, names),
      reasonBlock(request),
      ...(activity ? [section(`:mag: *What was done:* ${escapeText(activityText(activity))}`)] : []),
      ...(reviewed ? [reviewed] : [context('Needs review by a break-glass reviewer.')]),
      ...(reviewed && !isLive(request.status)
        ? []
        : [
            {
              type: 'actions' as const,
              elements: [
                ...(reviewed
                  ? []
                  : [
                      {
                        type: 'button' as const,
                        action_id: ACTIONS.reviewBreakGlass,
                        text: plain('Mark reviewed'),
                        value: request.id,
                      },
                    ]),
                ...(isLive(request.status) ? [revokeButton(request)] : []),
              ],
            },
          ]),
      context(`id ${request.id}`),
    ],
  };
}
