import type { AuditEventInput } from '../domain/audit.js';
import type { AuditLog, RequestStore } from '../domain/ports.js';

/** The front door a change came through, as the audit trail names it (`detail.channel`). */
export type Channel = 'slack' | 'api' | 'console';

function tagged(event: AuditEventInput, channel: Channel): AuditEventInput {
  return { ...event, detail: { ...event.detail, channel } };
}

/**
 * The same ports, but every audit event written through them names `channel`. Wraps only the
 * writes a front door makes (the use cases are unchanged, so every rule stays in one place);
 * reads pass through.
 */
export function throughChannel<D extends { readonly store: RequestStore; readonly audit: AuditLog }>(
  deps: D,
  channel: Channel,
): D {
  const { store, audit } = deps;
  const taggedStore: RequestStore = {
    create: (request, event) => store.create(request, tagged(event, channel)),
    get: (id) => store.get(id),
    transition: (current, t) => store.transition(current, { ...t, audit: tagged(t.audit, channel) }),
    annotate: (current, a) => store.annotate(current, { ...a, audit: tagged(a.audit, channel) }),
    listByRequester: (requester, options) => store.listByRequester(requester, options),
    listPendingByTarget: (targetId, options) => store.listPendingByTarget(targetId, options),
    listPending: (options) => store.listPending(options),
    listLiveEndingBefore: (before, options) => store.listLiveEndingBefore(before, options),
    listLiveFor: (principal, targetId) => store.listLiveFor(principal, targetId),
    listUnreviewedBreakGlass: (options) => store.listUnreviewedBreakGlass(options),
  };
  return { ...deps, store: taggedStore, audit: { append: (event) => audit.append(tagged(event, channel)) } };
}
