import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { ArchiveForwarder } from '../../domain/archive.js';
import type { AuditEvent } from '../../domain/audit.js';
import { AwsOperationError } from '../../domain/grant-ports.js';

/** PutEvents takes at most 10 entries per call. */
const MAX_ENTRIES = 10;

/** The `source` of forwarded audit events, for a SIEM's EventBridge rule. */
export const AUDIT_EVENT_SOURCE = 'jit.access-broker.audit';

/**
 * Forwards archived audit events to an EventBridge bus (`source` jit.access-broker.audit,
 * `detail-type` the event type, `detail` the event). A partial failure (FailedEntryCount)
 * throws, so the stream retries the batch: at-least-once, like the archive.
 */
export class EventBridgeForwarder implements ArchiveForwarder {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async forward(events: readonly AuditEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += MAX_ENTRIES) {
      const out = await this.client.send(
        new PutEventsCommand({
          Entries: events.slice(i, i + MAX_ENTRIES).map((event) => ({
            EventBusName: this.busName,
            Source: AUDIT_EVENT_SOURCE,
            DetailType: event.type,
            Time: new Date(event.at),
            Detail: JSON.stringify(event),
          })),
        }),
      );
      if ((out.FailedEntryCount ?? 0) > 0) {
        throw new AwsOperationError('PutEvents', `EventBridge refused ${out.FailedEntryCount} audit events`, {
          transient: true,
        });
      }
    }
  }
}
