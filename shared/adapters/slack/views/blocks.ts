import type { types } from '@slack/bolt';
import { formatDuration } from '../../../domain/duration.js';
import type { Target } from '../../../domain/policy.js';

/**
 * The Block Kit pieces every view is built from (text, sections, mentions, dates, modal
 * metadata). Pure functions of their inputs (no I/O, no clock).
 */

export type Block = types.KnownBlock;
export type ModalView = types.ModalView;
export type HomeView = types.HomeView;

export interface SlackMessage {
  readonly text: string;
  readonly blocks: Block[];
}

/** A section's text is limited to 3000 characters. */
const MAX_TEXT = 2900;

/** Plain text, cut to the 150 characters most Block Kit labels allow. */
export function plain(text: string) {
  return { type: 'plain_text' as const, text: text.slice(0, 150), emoji: true };
}

/** Markdown text, cut to what a section allows. */
export function mrkdwn(text: string) {
  return { type: 'mrkdwn' as const, text: text.slice(0, MAX_TEXT) };
}

/** Escapes user text for mrkdwn so a reason cannot ping @channel or forge links. */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A section of markdown text. */
export function section(text: string): Block {
  return { type: 'section', text: mrkdwn(text) };
}

/** A small grey line of markdown text. */
export function context(text: string): Block {
  return { type: 'context', elements: [mrkdwn(text)] };
}

/** A time rendered by Slack in the reader's time zone, with the ISO time as the fallback. */
export function slackDate(iso: string): string {
  const epoch = Math.floor(Date.parse(iso) / 1000);
  return `<!date^${epoch}^{date_short_pretty} {time}|${iso}>`;
}

/** A person as Slack shows them (a mention), or a system actor by name. */
export function user(id: string): string {
  return id.startsWith('system:') ? id.slice('system:'.length) : `<@${id}>`;
}

/** A target as a select option. */
export function targetOption(target: Target) {
  return {
    text: plain(`${target.id} (${target.kind})`),
    description: plain(target.description.slice(0, 75)),
    value: target.id,
  };
}

/** "default 1h, at most 8h". */
export function limitsOf(target: Target): string {
  return `default ${formatDuration(target.defaultDurationSeconds)}, at most ${formatDuration(target.maxDurationSeconds)}`;
}

/** Private metadata of the modals: which request or grant they are about. */
export interface ModalMetadata {
  readonly requestId?: string;
  /** Whose grants a revoke-all form ends (a Slack user id), and on which target when given. */
  readonly holder?: string;
  readonly targetId?: string;
}

export function encodeMetadata(metadata: ModalMetadata): string {
  return JSON.stringify(metadata);
}

export function decodeMetadata(text: string | undefined): ModalMetadata {
  try {
    const value: unknown = JSON.parse(text ?? '{}');
    if (value && typeof value === 'object') {
      const field = (key: keyof ModalMetadata) => {
        const v = (value as Record<string, unknown>)[key];
        return typeof v === 'string' ? { [key]: v } : {};
      };
      return { ...field('requestId'), ...field('holder'), ...field('targetId') };
    }
  } catch {
    // fall through: no metadata
  }
  return {};
}
