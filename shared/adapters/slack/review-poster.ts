import type { WebClient } from '@slack/web-api';
import {
  REVIEW_MESSAGE_EVENT_TYPE,
  type ReviewFile,
  type ReviewPoster,
} from '../../domain/review-delivery.js';
import { callSlack, SlackApiError } from './slack-api-error.js';

/** How long one file's upload to Slack's upload URL may take. */
export const REVIEW_UPLOAD_DEADLINE_MS = 10_000;

/** The step named in errors for the POST of a file's bytes to its upload URL. */
const UPLOAD_STEP = 'file upload';

/** How many pages of the channel's history (200 messages each) a look for an earlier post reads at most. */
export const REVIEW_HISTORY_MAX_PAGES = 5;

/**
 * Posts the access review to Slack: the summary as one `chat.postMessage` carrying the period
 * as message metadata (`event_type` {@link REVIEW_MESSAGE_EVENT_TYPE}), then the charts shared
 * in its thread with Slack's current upload flow (files.upload is retired): per file
 * `files.getUploadURLExternal` and the bytes POSTed to the URL it gives (before the summary, so
 * a failed upload posts nothing), then one `files.completeUploadExternal` in the thread.
 * Why metadata on the summary: `files.completeUploadExternal` takes none, and the summary is
 * what `findPosted` looks for in `conversations.history` to post each period once.
 */
export class SlackReviewPoster implements ReviewPoster {
  constructor(
    private readonly client: WebClient,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  async post(message: {
    channel: string;
    text: string;
    files: readonly ReviewFile[];
    period?: string;
  }): Promise<void> {
    const uploaded = await Promise.all(message.files.map((f) => this.upload(f)));
    const posted = await callSlack('chat.postMessage', () =>
      this.client.chat.postMessage({
        channel: message.channel,
        text: message.text,
        mrkdwn: true,
        ...(message.period === undefined
          ? {}
          : {
              metadata: {
                event_type: REVIEW_MESSAGE_EVENT_TYPE,
                event_payload: { period: message.period },
              },
            }),
      }),
    );
    const [first, ...rest] = uploaded;
    if (first === undefined) return;
    await callSlack('files.completeUploadExternal', () =>
      this.client.files.completeUploadExternal({
        files: [first, ...rest],
        channel_id: message.channel,
        ...(posted.ts ? { thread_ts: posted.ts } : {}),
      }),
    );
  }

  /**
   * Reads the channel's history since `since` (`include_all_metadata`, bounded pages) for a
   * message of this app carrying the period's review metadata.
   */
  async findPosted(query: { channel: string; period: string; since: Date }): Promise<boolean> {
    let cursor: string | undefined;
    for (let page = 0; page < REVIEW_HISTORY_MAX_PAGES; page++) {
      const answer = await callSlack('conversations.history', () =>
        this.client.conversations.history({
          channel: query.channel,
          oldest: (query.since.getTime() / 1000).toFixed(6),
          include_all_metadata: true,
          limit: 200,
          ...(cursor === undefined ? {} : { cursor }),
        }),
      );
      const found = (answer.messages ?? []).some(
        (m) =>
          m.metadata?.event_type === REVIEW_MESSAGE_EVENT_TYPE &&
          (m.metadata.event_payload as { period?: unknown } | undefined)?.period === query.period,
      );
      if (found) return true;
      cursor = answer.response_metadata?.next_cursor || undefined;
      if (cursor === undefined) return false;
    }
    return false;
  }

  private async upload(file: ReviewFile): Promise<{ id: string; title: string }> {
    const bytes = Buffer.from(file.content, 'utf8');
    const answer = await callSlack('files.getUploadURLExternal', () =>
      this.client.files.getUploadURLExternal({ filename: file.filename, length: bytes.length }),
    );
    if (!answer.upload_url || !answer.file_id) {
      throw new SlackApiError('files.getUploadURLExternal', { error: 'no_upload_url' });
    }
    let response: Response;
    try {
      response = await this.fetchFn(answer.upload_url, {
        method: 'POST',
        body: bytes,
        headers: { 'content-type': 'application/octet-stream' },
        signal: AbortSignal.timeout(REVIEW_UPLOAD_DEADLINE_MS),
      });
    } catch (error) {
      // The upload URL is a one-off capability: never put it in a message or log.
      throw new SlackApiError(UPLOAD_STEP, { error: 'upload_unreachable' }, { cause: error });
    }
    if (!response.ok) throw new SlackApiError(UPLOAD_STEP, { error: `http_${response.status}` });
    return { id: answer.file_id, title: file.title };
  }
}
