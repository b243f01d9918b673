import type { webApi } from '@slack/bolt';
import pLimit from 'p-limit';
import { formatDuration } from '../../domain/duration.js';
import { isEscalated, stageProgress } from '../../domain/approval-stages.js';
import { approvalAudience } from '../../domain/decision.js';
import { expandSets, findTarget, type PeopleSet, type Target } from '../../domain/policy.js';
import type { DomainEvent, EventSubscriber, PolicySource } from '../../domain/ports.js';
import type { AccessRequest } from '../../domain/request.js';
import { activityText, type ActivitySummary } from '../../domain/activity.js';
import { unnamedGrant, type GrantNames } from '../../domain/grant-names.js';
import type { HistoryEntry } from '../../domain/requester-history.js';
import type { SlackDirectory } from './directory.js';
import type { MessageRef, SlackMessageStore } from './message-store.js';
import { targetKindOf } from '../../targets/kinds.js';
import { callSlack, operatorFix, slackApiFailure } from './slack-api-error.js';
import { escapeText, slackDate, user, type SlackMessage } from './views/blocks.js';
import { approvalMessage, breakGlassAlert, decidedMessage, targetLabel } from './views/messages.js';
import { expiryWarningMessage, scheduledApprovalText } from './views/lifecycle-messages.js';

/**
 * The Slack subscriber to domain events, over the Slack Web API. Approval requests go to the
 * rule's approval channel, or as DMs to every approver (user groups expanded); outcomes are
 * DMed to the requester; approval posts and break-glass alerts are updated in place
 * (chat.update on the messages it recorded in its own message store). Records only the posts
 * to update later, never the requester's DMs.
 */
export class SlackNotifier implements EventSubscriber {
  readonly name = 'slack';

  constructor(
    private readonly client: webApi.WebClient,
    private readonly policy: PolicySource,
    private readonly directory: SlackDirectory,
    private readonly messages: SlackMessageStore,
    /** The requester's recent history on a target, shown to approvers (none when not given). */
    private readonly history?: (request: AccessRequest) => Promise<readonly HistoryEntry[]>,
    /** The grant's stored activity summary, kept on the break-glass alert when it is redrawn. */
    private readonly storedActivity?: (request: AccessRequest) => Promise<ActivitySummary | undefined>,
    /** The names of a grant's accounts and permission set (none given: the account ids alone). */
    private readonly grantNames?: (request: AccessRequest, target: Target | undefined) => Promise<GrantNames>,
  ) {}

  async handle(event: DomainEvent): Promise<void> {
    const posted = await this.notify(event);
    if (posted.length > 0) await this.messages.add(event.request.id, posted);
  }

  /** Tells people of one event; returns the posts to update in place later. */
  private async notify(notification: DomainEvent): Promise<readonly MessageRef[]> {
    const { request } = notification;
    const target = findTarget(this.policy.current(), request.targetId);
    // Why: a name is for reading only; a failed lookup must never stop a message (ids instead).
    const names = (await this.grantNames?.(request, target).catch(() => undefined)) ?? unnamedGrant(request);
    const subject = targetLabel(request.targetId, names);
    switch (notification.kind) {
      case 'approval-needed':
        return this.askApprovers(request, target, notification.reminder, names);
      case 'approval-recorded':
        await this.updateAll(request, await this.approvalPost(request, target, false, names));
        return [];
      case 'approval-escalated':
        return this.askBackupApprovers(request, target, notification.to, names);
      case 'request-approved':
        await this.updateAll(request, decidedMessage(request, target, names));
        await this.dm(
          request.requester,
          request.scheduledStartsAt
            ? scheduledApprovalText(request, names)
            : `:white_check_mark: Your request for ${subject} was approved. Access is being set up; it ends ${request.endsAt ? slackDate(request.endsAt) : 'on time'}.`,
        );
        return [];
      case 'grant-expiring':
        // A DM to the holder only: not recorded, never updated in place.
        await this.post(request.requester, expiryWarningMessage(request, target, names));
        return [];
      case 'request-denied':
        await this.updateAll(request, decidedMessage(request, target, names));
        await this.dm(
          request.requester,
          `:no_entry: Your request for ${subject} was denied by <@${request.decidedBy ?? ''}>: ${escapeText(request.decisionReason ?? '')}`,
        );
        return [];
      case 'request-cancelled':
        await this.updateAll(request, decidedMessage(request, target, names));
        return [];
      case 'request-timed-out':
        await this.updateAll(request, decidedMessage(request, target, names));
        await this.dm(
          request.requester,
          `:alarm_clock: Your request for ${subject} timed out: nobody decided in time. Request again if you still need it.`,
        );
        return [];
      case 'grant-active':
        await this.dm(
          request.requester,
          `:unlock: Your ${subject} access is active until ${request.endsAt ? slackDate(request.endsAt) : '?'}.${targetKindOf(request.targetKind)?.issuesCredentials ? ' Get credentials from the app’s Home tab.' : ''}`,
        );
        if (target?.notifyChannel) {
          await this.post(
            target.notifyChannel,
            {
              text: `<@${request.requester}> has ${request.targetId}`,
              blocks: [],
            },
            `<@${request.requester}> now has ${subject} for ${formatDuration(request.durationSeconds)}${request.breakGlass ? ' (break-glass)' : ''}.`,
          );
        }
        return [];
      case 'grant-failed':
        await this.updateAll(request, decidedMessage(request, target, names));
        await this.dm(
          request.requester,
          `:x: Your ${subject} access could not be set up. An operator has been alerted.`,
        );
        return [];
      case 'grant-ended':
        // The posts lose their Revoke button once the grant ended.
        await this.updateAll(
          request,
          request.breakGlass
            ? await this.breakGlassPost(request, target, names)
            : decidedMessage(request, target, names),
        );
        await this.dm(request.requester, endedText(request, subject));
        return [];
      case 'break-glass':
        return this.breakGlass(request, target, names);
      case 'break-glass-reviewed':
        await this.updateAll(request, await this.breakGlassPost(request, target, names));
        return [];
      case 'revoke-failing': {
        const channel = this.policy.current().breakGlass?.securityChannel ?? target?.notifyChannel;
        if (channel) {
          await this.post(
            channel,
            { text: 'Revoke failing', blocks: [] },
            `:warning: Removing ${subject} from <@${request.requester}> keeps failing (grant ${request.id}). It is retried every sweep until AWS confirms; check the grant worker and the sweeper.`,
          );
        }
        return [];
      }
      case 'activity-summarised':
        await this.activity(request, target, notification.summary, names);
        return [];
    }
  }

  /**
   * The grant's activity in the thread of each post about it; a break-glass alert also shows
   * it in place, so its reviewer sees what was done before clicking "Mark reviewed".
   */
  private async activity(
    request: AccessRequest,
    target: Target | undefined,
    summary: ActivitySummary,
    names: GrantNames,
  ): Promise<void> {
    const posted = (await this.messages.list(request.id)).filter((ref) => ref.ts);
    const text = `:mag: What was done with this grant (CloudTrail, ${slackDate(summary.from)} to ${slackDate(summary.to)}): ${activityText(summary)}`;
    await inParallel(posted, (ref) =>
      callSlack('chat.postMessage', () =>
        this.client.chat.postMessage({ channel: ref.channel, thread_ts: ref.ts, text, unfurl_links: false }),
      ),
    );
    if (request.breakGlass) await this.updateAll(request, breakGlassAlert(request, target, summary, names));
  }

  /**
   * The break-glass alert redrawn with the grant's activity summary when one is stored.
   * Why: the reviewer must see what was done with the access, and the record keeps showing it.
   */
  private async breakGlassPost(
    request: AccessRequest,
    target: Target | undefined,
    names: GrantNames,
  ): Promise<SlackMessage> {
    // Context for reviewers must never stop the alert from being updated.
    const activity = await this.storedActivity?.(request).catch(() => undefined);
    return breakGlassAlert(request, target, activity, names);
  }

  private async askApprovers(
    request: AccessRequest,
    target: Target | undefined,
    reminder: boolean,
    names: GrantNames,
  ): Promise<MessageRef[]> {
    if (!target) return [];
    const message = await this.approvalPost(request, target, reminder, names);
    try {
      if (target.approvalChannel) return [await this.post(target.approvalChannel, message)];
      const approvers = await this.approverIds(target, request);
      return await inParallel(approvers, (userId) => this.post(userId, message));
    } catch (error) {
      // Why: the request is recorded but nobody may hear of it; its requester must know, and why.
      const failure = slackApiFailure(error);
      if (failure && !reminder) {
        await this.dm(
          request.requester,
          `:warning: Your request for ${targetLabel(request.targetId, names)} is recorded, but its approvers could not be told. ${operatorFix(failure, target.approvalChannel)}`,
        ).catch(() => undefined);
      }
      throw error;
    }
  }

  /**
   * The escalation notice: a DM to each backup approver (user groups expanded), with the
   * approval buttons since they may now decide the stage; recorded to be updated in place.
   */
  private async askBackupApprovers(
    request: AccessRequest,
    target: Target | undefined,
    to: readonly string[],
    names: GrantNames,
  ): Promise<MessageRef[]> {
    if (!target) return [];
    const message = await this.approvalPost(request, target, false, names, true);
    const backups = await this.userIdsOf(
      { ...expandSets(this.policy.current(), to), exclude: [] },
      request,
      target,
    );
    return inParallel(backups, (userId) => this.post(userId, message));
  }

  /** The approval post with the requester's history; without it when it cannot be read. */
  private async approvalPost(
    request: AccessRequest,
    target: Target | undefined,
    reminder: boolean,
    names: GrantNames,
    escalation = false,
  ): Promise<SlackMessage> {
    // Why: context for approvers must never stop the request from reaching them.
    const history = await this.history?.(request).catch(() => undefined);
    // Targets of one stage keep their plain count unless a stage was escalated.
    const staged = target && (target.stages || escalation || isEscalated(target, request));
    const stage = staged ? stageProgress(this.policy.current(), target, request) : undefined;
    return approvalMessage(request, target, {
      reminder,
      names,
      ...(history === undefined ? {} : { history }),
      ...(stage === undefined ? {} : { stage, escalation }),
    });
  }

  /** The approval audience (decided in the domain) as Slack user ids, user groups expanded. */
  private async approverIds(target: Target, request: AccessRequest): Promise<string[]> {
    return this.userIdsOf(approvalAudience(this.policy.current(), target, request), request, target);
  }

  /**
   * Slack user ids of `audience`, user groups expanded, without its exclusions, those who
   * already approved (they cannot approve again) and the requester unless self-approval.
   */
  private async userIdsOf(
    audience: PeopleSet & { readonly exclude: readonly string[] },
    request: AccessRequest,
    target: Target,
  ): Promise<string[]> {
    const ids = new Set(audience.users);
    for (const group of audience.userGroups)
      (await this.directory.membersOf(group)).forEach((u) => ids.add(u));
    audience.exclude.forEach((u) => ids.delete(u));
    request.approvals.forEach((a) => ids.delete(a.approver));
    if (!target.selfApproval) ids.delete(request.requester);
    return [...ids].sort();
  }

  private async breakGlass(
    request: AccessRequest,
    target: Target | undefined,
    names: GrantNames,
  ): Promise<MessageRef[]> {
    const rules = this.policy.current().breakGlass;
    const alert = breakGlassAlert(request, target, undefined, names);
    const refs: MessageRef[] = [];
    if (rules) refs.push(await this.post(rules.securityChannel, alert));
    if (target?.notifyChannel && target.notifyChannel !== rules?.securityChannel) {
      refs.push(await this.post(target.notifyChannel, alert));
    }
    await this.dm(
      request.requester,
      `:rotating_light: Break-glass on ${targetLabel(request.targetId, names)} granted until ${request.endsAt ? slackDate(request.endsAt) : '?'}. Security has been told; the grant will be reviewed.`,
    );
    return refs;
  }

  private async post(channel: string, message: SlackMessage, text?: string): Promise<MessageRef> {
    const result = await callSlack('chat.postMessage', () =>
      this.client.chat.postMessage({
        channel,
        text: text ?? message.text,
        ...(text === undefined ? { blocks: message.blocks } : {}),
        unfurl_links: false,
      }),
    );
    return { channel: result.channel ?? channel, ts: result.ts ?? '' };
  }

  private async dm(userId: string, text: string): Promise<void> {
    await callSlack('chat.postMessage', () =>
      this.client.chat.postMessage({ channel: userId, text, unfurl_links: false }),
    );
  }

  private async updateAll(request: AccessRequest, message: SlackMessage): Promise<void> {
    const posted = await this.messages.list(request.id);
    await inParallel(
      posted.filter((ref) => ref.ts),
      (ref) =>
        callSlack('chat.update', () =>
          this.client.chat.update({
            channel: ref.channel,
            ts: ref.ts,
            text: message.text,
            blocks: message.blocks,
          }),
        ),
    );
  }
}

/** What the holder is told when a grant ended: who revoked it and why, when someone else did. */
function endedText(request: AccessRequest, subject: string): string {
  const revoker = request.decidedBy;
  if (request.status === 'REVOKED' && revoker !== undefined && revoker !== request.requester) {
    return `:lock: Your ${subject} access was revoked by ${user(revoker)}: ${escapeText(request.decisionReason ?? '')}`;
  }
  return `:lock: Your ${subject} access has ended (${request.status.toLowerCase()}).`;
}

/** How many Web API calls one notification makes at once (Slack's rate tier allows bursts). */
const SLACK_PARALLELISM = 5;

/**
 * Runs `call` for each item, a few at a time, keeping the results in order. Why: the Slack
 * function answers Slack only after its listener finishes (3-second limit), so DMs to many
 * approvers and in-place updates of many posts must not run one after another.
 */
async function inParallel<T, R>(items: readonly T[], call: (item: T) => Promise<R>): Promise<R[]> {
  const limit = pLimit(SLACK_PARALLELISM);
  return Promise.all(items.map((item) => limit(() => call(item))));
}
