import type { AuditEventInput } from '../domain/audit.js';
import type { AuditLog, RequestStore } from '../domain/ports.js';

/** The front door a change came through, as the audit trail names it (`detail.channel`). */
export type Channel = 'slack' | 'api' | 'cli' | 'console';

/**
 * The header by which a request API client names itself (`cli/<version>` for the `jit` CLI).
 * Informational only: it picks the channel the audit trail names, never who the caller is
 * (that stays the SigV4 principal).
 */
export const CLIENT_HEADER = 'x-jit-client';

/** What a front door writes on every audit event: its channel and, for the API, the declared client. */
export interface ChannelTag {
  readonly channel: Channel;
  /** The request API's declared client (`cli/0.1.0`), or `undeclared`. */
  readonly client?: string;
}

/** A declared client worth recording: short, printable, no spaces. */
const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._+/-]{0,63}$/;

/**
 * The channel of a request API call from its declared client (the {@link CLIENT_HEADER} value):
 * `cli` when the `jit` CLI says it called, `api` otherwise (no header, another client, or a
 * value not worth recording, written as `undeclared`).
 */
export function requestApiChannel(declared: string | undefined): ChannelTag {
  const client = declared !== undefined && CLIENT_NAME.test(declared) ? declared : 'undeclared';
  return { channel: client.startsWith('cli/') ? 'cli' : 'api', client };
}

function tagged(event: AuditEventInput, tag: ChannelTag): AuditEventInput {
  const detail: Record<string, string | number | boolean> = { ...event.detail, channel: tag.channel };
  if (tag.client !== undefined) detail.client = tag.client;
  return { ...event, detail };
}

/**
 * The same ports, but every audit event written through them names `channel` (and the declared
 * client, when the tag has one). Wraps only the writes a front door makes (the use cases are
 * unchanged, so every rule stays in one place); reads pass through.
 */
export function throughChannel<D extends { readonly store: RequestStore; readonly audit: AuditLog }>(
  deps: D,
  channel: Channel | ChannelTag,
): D {
  const tag = typeof channel === 'string' ? { channel } : channel;
  const { store, audit } = deps;
  const taggedStore: RequestStore = {
    create: (request, event) => store.create(request, tagged(event, tag)),
    get: (id) => store.get(id),
    transition: (current, t) => store.transition(current, { ...t, audit: tagged(t.audit, tag) }),
    annotate: (current, a) => store.annotate(current, { ...a, audit: tagged(a.audit, tag) }),
    listByRequester: (requester, options) => store.listByRequester(requester, options),
    listPendingByTarget: (targetId, options) => store.listPendingByTarget(targetId, options),
    listPending: (options) => store.listPending(options),
    listLiveEndingBefore: (before, options) => store.listLiveEndingBefore(before, options),
    listLiveFor: (principal, targetId) => store.listLiveFor(principal, targetId),
    listUnreviewedBreakGlass: (options) => store.listUnreviewedBreakGlass(options),
  };
  return { ...deps, store: taggedStore, audit: { append: (event) => audit.append(tagged(event, tag)) } };
}
