import { useEffect, useState } from 'preact/hooks';
import * as z from 'zod';
import {
  AUDIT_CHANNELS,
  auditEventView,
  auditPageResponse,
  requestView,
  verifyResponse,
  type AuditEventView,
  type AuditPageResponse,
  type ExportFormat,
  type MeResponse,
  type VerifyResponse,
} from '../../shared/api/console-schema.js';
import { REQUEST_STATUSES } from '../../shared/domain/lifecycle.js';
import { call, download, queryOf } from './api.js';

const timelineResponse = z.object({ request: requestView, items: z.array(auditEventView) });
type Timeline = z.infer<typeof timelineResponse>;

interface Filter {
  person: string;
  target: string;
  status: string;
  breakGlass: string;
  channel: string;
  from: string;
  to: string;
}

const PAGE_SIZE = '25';

function weekAgo(): string {
  return new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10);
}

function Verify() {
  const [result, setResult] = useState<VerifyResponse>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    call(verifyResponse, 'GET', '/audit/verify')
      .then(setResult)
      .catch((e: Error) => setError(e.message));
  }, []);
  return (
    <p role="status" class={`verify ${result ? (result.ok ? 'ok' : 'bad') : ''}`} data-testid="verify">
      {error
        ? `Chain verification unavailable: ${error}`
        : !result
          ? 'Verifying the audit chains…'
          : result.ok
            ? `✔ Chain verified: ${result.events} events in ${result.chains} chains, no break.`
            : result.breaks === 0 && result.misplaced === 0
              ? `✘ Chains sound, but ${result.digestFindings.length} audit digest(s) differ from the trail: ${result.digestFindings.join('; ')}`
              : `✘ Chain broken: ${result.breaks} break(s), ${result.misplaced} misplaced event(s).`}
    </p>
  );
}

function EventsTable({
  items,
  onOpen,
}: {
  readonly items: readonly AuditEventView[];
  readonly onOpen?: (id: string) => void;
}) {
  return (
    <div class="table-wrap">
      <table data-testid="events">
        <thead>
          <tr>
            <th scope="col">Time (UTC)</th>
            <th scope="col">Event</th>
            <th scope="col">Actor</th>
            <th scope="col">Channel</th>
            <th scope="col">Person</th>
            <th scope="col">Target</th>
            <th scope="col">Status</th>
            <th scope="col">Reason</th>
            <th scope="col">Request</th>
          </tr>
        </thead>
        <tbody>
          {items.map((e) => (
            <tr key={`${e.chain}#${e.seq}`}>
              <td>{e.at.replace('T', ' ').slice(0, 19)}</td>
              <td>
                {e.type}
                {e.breakGlass ? ' (break-glass)' : ''}
              </td>
              <td>{e.actor}</td>
              <td>{e.channel}</td>
              <td>{e.subject}</td>
              <td>{e.targetId}</td>
              <td>{e.fromStatus ? `${e.fromStatus} → ${e.toStatus ?? ''}` : (e.toStatus ?? '')}</td>
              <td>{e.reason}</td>
              <td>
                {onOpen ? (
                  <button type="button" class="link" onClick={() => onOpen(e.requestId)}>
                    <span class="sr-only">Timeline of request </span>
                    {e.requestId.slice(-8)}
                  </button>
                ) : (
                  e.requestId.slice(-8)
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function AuditPage({ me }: { readonly me: MeResponse }) {
  const [filter, setFilter] = useState<Filter>({
    person: me.roles.auditor ? '' : me.person,
    target: '',
    status: '',
    breakGlass: '',
    channel: '',
    from: weekAgo(),
    to: '',
  });
  const [page, setPage] = useState<AuditPageResponse>();
  const [cursors, setCursors] = useState<string[]>([]);
  const [error, setError] = useState<string>();
  const [timeline, setTimeline] = useState<Timeline>();
  const query = (cursor?: string) => ({ ...filter, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) });
  const search = async (cursor?: string) => {
    try {
      setError(undefined);
      setPage(await call(auditPageResponse, 'GET', `/audit/events${queryOf(query(cursor))}`));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  useEffect(() => void search(), []);
  const set = (key: keyof Filter) => (e: Event) =>
    setFilter({ ...filter, [key]: (e.target as HTMLInputElement | HTMLSelectElement).value });
  const exportAs = async (format: ExportFormat) => {
    try {
      await download(`/audit/export${queryOf({ ...filter, format })}`, `audit-events.${format}`);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const open = async (id: string) => {
    try {
      setTimeline(await call(timelineResponse, 'GET', `/requests/${encodeURIComponent(id)}/timeline`));
      requestAnimationFrame(() => document.getElementById('timeline-title')?.focus());
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <div>
      {me.roles.auditor ? <Verify /> : <p class="note">You see your own requests’ history.</p>}
      <form
        class="filters"
        aria-label="Audit filters"
        onSubmit={(e) => {
          e.preventDefault();
          setCursors([]);
          void search();
        }}
      >
        <div class="field">
          <label for="f-person">Person</label>
          <input id="f-person" value={filter.person} disabled={!me.roles.auditor} onInput={set('person')} />
        </div>
        <div class="field">
          <label for="f-target">Target</label>
          <input id="f-target" value={filter.target} onInput={set('target')} />
        </div>
        <div class="field">
          <label for="f-status">Status reached</label>
          <select id="f-status" value={filter.status} onChange={set('status')}>
            <option value="">Any</option>
            {REQUEST_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-bg">Break-glass</label>
          <select id="f-bg" value={filter.breakGlass} onChange={set('breakGlass')}>
            <option value="">Any</option>
            <option value="true">Only break-glass</option>
            <option value="false">No break-glass</option>
          </select>
        </div>
        <div class="field">
          <label for="f-channel">Channel</label>
          <select id="f-channel" value={filter.channel} onChange={set('channel')}>
            <option value="">Any</option>
            {AUDIT_CHANNELS.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-from">From (UTC date)</label>
          <input id="f-from" type="date" value={filter.from} onInput={set('from')} />
        </div>
        <div class="field">
          <label for="f-to">Before (UTC date)</label>
          <input id="f-to" type="date" value={filter.to} onInput={set('to')} />
        </div>
        <div class="actions">
          <button type="submit">Search</button>
          <button type="button" onClick={() => void exportAs('csv')}>
            Export CSV
          </button>
          <button type="button" onClick={() => void exportAs('jsonl')}>
            Export JSON lines
          </button>
        </div>
      </form>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <p aria-live="polite" class="muted">
        {page ? `${page.items.length} event(s) on this page, newest first.` : ''}
      </p>
      {page && <EventsTable items={page.items} onOpen={(id) => void open(id)} />}
      <nav aria-label="Result pages" class="pager">
        <button
          type="button"
          disabled={cursors.length === 0}
          onClick={() => {
            const previous = cursors.slice(0, -1);
            setCursors(previous);
            void search(previous[previous.length - 1]);
          }}
        >
          Newer
        </button>
        <button
          type="button"
          disabled={!page?.cursor}
          onClick={() => {
            if (!page?.cursor) return;
            setCursors([...cursors, page.cursor]);
            void search(page.cursor);
          }}
        >
          Older
        </button>
      </nav>
      {timeline && (
        <section aria-labelledby="timeline-title" class="timeline">
          <h2 id="timeline-title" tabIndex={-1}>
            Timeline of {timeline.request.targetId} for {timeline.request.requester}
          </h2>
          <ol>
            {timeline.items.map((e) => (
              <li key={`${e.chain}#${e.seq}`}>
                <time dateTime={e.at}>{e.at.replace('T', ' ').slice(0, 19)}</time> · <strong>{e.type}</strong>{' '}
                by {e.actor}
                {e.toStatus ? ` → ${e.toStatus}` : ''}
                {e.reason ? ` · “${e.reason}”` : ''}
                {e.awsRequestId ? ` · AWS request ${e.awsRequestId}` : ''}
              </li>
            ))}
          </ol>
          <button type="button" onClick={() => setTimeline(undefined)}>
            Close timeline
          </button>
        </section>
      )}
    </div>
  );
}
