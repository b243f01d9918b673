import type { StageProgress } from '../../../domain/approval-stages.js';
import { escapeText, user } from './blocks.js';

/**
 * How the approval post shows approval stages: which stage a request is at, how far it is,
 * and who still has to decide. Pure functions of their inputs.
 */

/** Who may still decide a stage, as Slack mentions (user groups as group mentions). */
export function waitingForText(progress: StageProgress): string {
  const excluded = new Set(progress.waitingFor.exclude);
  const names = [
    ...progress.waitingFor.users.filter((u) => !excluded.has(u)).map(user),
    ...progress.waitingFor.userGroups.map((g) => `<!subteam^${g}>`),
    ...progress.waitingFor.emails.map(escapeText),
  ];
  return names.length === 0 ? 'nobody left to ask' : names.join(', ');
}

/** "Stage 1 of 2: team leads, 0 of 1 · waiting for <@U1>, <@U2>" (escalated: said so). */
export function stageText(progress: StageProgress): string {
  const stage = `Stage ${progress.number} of ${progress.count}: ${escapeText(progress.label)}, ${progress.approvals} of ${progress.required}`;
  const escalated = progress.escalated ? ' (escalated to backup approvers)' : '';
  return `${stage}${escalated} · waiting for ${waitingForText(progress)}`;
}

/** The lead of the notice the backup approvers get when a stage has not decided in time. */
export function escalationLead(progress: StageProgress): string {
  return `:rotating_light: *Escalated: stage ${progress.number} of ${progress.count} (${escapeText(progress.label)}) has not decided in time.* You are a backup approver and may decide it.`;
}
