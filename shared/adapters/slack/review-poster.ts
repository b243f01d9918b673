import type { WebClient } from '@slack/web-api';
import type { ReviewFile, ReviewPoster } from '../../domain/review-delivery.js';
import { callSlack, SlackApiError } from './slack-api-error.js';

/** How long one file's upload to Slack's upload URL may take. */
export const REVIEW_UPLOAD_DEADLINE_MS = 10_000;

/** The step named in errors for the POST of a file's bytes to its upload URL. */
const UPLOAD_STEP = 'file upload';

/**
 * Posts the access review to Slack with Slack's current upload flow (files.upload is retired):
 * per file `files.getUploadURLExternal`, then the bytes POSTed to the URL it gives, then one
 * `files.completeUploadExternal` that shares every file in the channel with the summary as its
 * message. With no file, the summary is a plain `chat.postMessage`.
 */
export class SlackReviewPoster implements ReviewPoster {
  constructor(
    private readonly client: WebClient,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  async post(message: { channel: string; text: string; files: readonly ReviewFile[] }): Promise<void> {
    const [first, ...rest] = await Promise.all(message.files.map((f) => this.upload(f)));
    if (first === undefined) {
      await callSlack('chat.postMessage', () =>
        this.client.chat.postMessage({ channel: message.channel, text: message.text, mrkdwn: true }),
      );
      return;
    }
    await callSlack('files.completeUploadExternal', () =>
      this.client.files.completeUploadExternal({
        files: [first, ...rest],
        channel_id: message.channel,
        initial_comment: message.text,
      }),
    );
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
