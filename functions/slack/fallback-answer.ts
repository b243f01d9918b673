import type { App } from '@slack/bolt';
import { doneModal, GENERIC_ERROR, type SlackAppLogger } from './listeners/listener-kit.js';

/**
 * The answer to a request no listener acknowledged: an unknown callback id or action, a
 * payload we do not handle (view_closed), or a listener that threw before it acked. Bolt's
 * Lambda receiver would answer 404 with no ack, and Slack would show its own error.
 */
export function fallbackAnswer(body: unknown): unknown {
  const type = (body as { type?: unknown } | null)?.type;
  if (type === 'view_submission') {
    return doneModal('Not sent', `:warning: This form could not be handled. ${GENERIC_ERROR}`);
  }
  if (typeof (body as { command?: unknown } | null)?.command === 'string') {
    return { response_type: 'ephemeral', text: GENERIC_ERROR };
  }
  return undefined;
}

/**
 * Makes every request Slack sends get an answer: after the listeners ran (or threw; Bolt hands
 * listener errors to `app.error`), a request nobody acknowledged is acked with its
 * fallbackAnswer and logged; so is one Bolt itself failed on. Wraps the app's `processEvent`, the one method every receiver calls.
 */
export function answerEveryRequest(app: App, logger: SlackAppLogger): void {
  const processEvent = app.processEvent.bind(app);
  app.processEvent = async (event) => {
    let acked = false;
    const ack: typeof event.ack = async (response) => {
      acked = true;
      await event.ack(response);
    };
    try {
      await processEvent({ ...event, ack });
    } catch (error) {
      // Bolt itself failed on the payload (before or around the listeners).
      logger.error('slack request failed in bolt', {
        error: error instanceof Error ? error.name : typeof error,
      });
    }
    if (acked) return;
    const body = event.body as { type?: unknown; command?: unknown };
    logger.warn('slack request not acknowledged by any listener; answered with a fallback', {
      type: typeof body.type === 'string' ? body.type.slice(0, 64) : undefined,
      command: typeof body.command === 'string' ? body.command.slice(0, 64) : undefined,
    });
    await event.ack(fallbackAnswer(body));
  };
}
