import type { Notification } from '../domain/ports.js';
import type { RequestDeps } from './deps.js';

/**
 * Sends a notification and records the messages it posted. A failed notification never
 * undoes the transition that caused it: it is logged and the use case goes on.
 */
export async function notifySafely(
  deps: Pick<RequestDeps, 'notifier' | 'store' | 'logger'>,
  notification: Notification,
): Promise<void> {
  try {
    const messages = await deps.notifier.notify(notification);
    if (messages.length > 0) await deps.store.addMessages(notification.request.id, messages);
  } catch (error) {
    deps.logger.warn('notification failed', {
      requestId: notification.request.id,
      kind: notification.kind,
      error: (error as Error).message,
    });
  }
}
