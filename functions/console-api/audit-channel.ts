import { AUDIT_CHANNELS, type AuditChannel } from '../../shared/api/console-schema.js';
import type { AuditEvent } from '../../shared/domain/audit.js';
import { ValidationError } from '../../shared/domain/errors.js';
import { tryParsePerson } from '../../shared/domain/person.js';

/**
 * The audit explorer's channel filter. The trail's indexes are by person, target, request,
 * status, break-glass and day, not by channel, so the channel is filtered server-side on what
 * those indexes return (never a scan): a page can hold fewer events than its limit while its
 * cursor still leads on.
 */

/**
 * The channel of an event: `system` for the broker's own actors; otherwise the channel its front
 * door wrote (`detail.channel`, see shared/usecases/channel.ts): `cli` when the `jit` CLI
 * declared itself to the request API, `api` for any other request API caller. Events written
 * before the request API recorded its client (`api` without `detail.client`) keep the old
 * inference: an AWS principal acting as itself (a `cli:` person) was the CLI. Events written
 * without a channel (Slack listeners, older events) go by the actor's provider.
 */
export function auditChannelOf(event: Pick<AuditEvent, 'actor' | 'detail'>): AuditChannel {
  if (event.actor.startsWith('system:')) return 'system';
  const parsed = tryParsePerson(event.actor);
  const provider = 'person' in parsed ? parsed.person.provider : undefined;
  const written = event.detail?.channel;
  if (written === 'api') return provider === 'cli' && event.detail?.client === undefined ? 'cli' : 'api';
  if (written === 'cli' || written === 'slack' || written === 'console') return written;
  if (provider === 'oidc') return 'console';
  if (provider === 'cli') return 'cli';
  return 'slack';
}

/** The `channel` query parameter, or undefined; ValidationError (400) for anything else. */
export function parseChannelFilter(value: string | undefined): AuditChannel | undefined {
  if (value === undefined || value === '') return undefined;
  if (!(AUDIT_CHANNELS as readonly string[]).includes(value)) {
    throw new ValidationError(`Invalid audit query: channel: must be one of ${AUDIT_CHANNELS.join(', ')}`);
  }
  return value as AuditChannel;
}

/** The events of `events` that came through `channel` (all of them without one), in order. */
export function onChannel(
  events: AsyncIterable<AuditEvent>,
  channel: AuditChannel | undefined,
): AsyncIterable<AuditEvent> {
  if (channel === undefined) return events;
  return {
    async *[Symbol.asyncIterator]() {
      for await (const event of events) if (auditChannelOf(event) === channel) yield event;
    },
  };
}
