import { createHmac } from 'node:crypto';

/**
 * The `X-Slack-Signature` of a request, computed as Slack computes it: HMAC-SHA256 with the
 * signing secret over `v0:{timestamp}:{raw body}`. Used by clients that play Slack (tests,
 * the local demo); the Slack function verifies with Bolt's own check.
 */
export function slackSignature(signingSecret: string, timestampSeconds: number, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestampSeconds}:${body}`).digest('hex')}`;
}
