import { useEffect, useState } from 'preact/hooks';
import {
  approvalsResponse,
  decisionResponse,
  denyBody,
  type ApprovalsResponse,
} from '../../shared/api/console-schema.js';
import { formatDuration } from '../../shared/domain/duration.js';
import { ApiError, call } from './api.js';
import { scopeOf } from './grant-scope.js';

const REFRESH_MS = 3000;

export function ApprovalsPage() {
  const [data, setData] = useState<ApprovalsResponse>();
  const [status, setStatus] = useState('');
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const [problems, setProblems] = useState<Record<string, string>>({});
  const load = () => call(approvalsResponse, 'GET', '/approvals').then(setData);
  useEffect(() => {
    void load().catch((e: Error) => setStatus(e.message));
    const timer = setInterval(() => void load().catch(() => undefined), REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  const decide = async (id: string, target: string, verb: 'approve' | 'deny') => {
    const body = verb === 'deny' ? { reason: (reasons[id] ?? '').trim() } : undefined;
    if (verb === 'deny' && !denyBody.safeParse(body).success) return;
    if (verb === 'deny' && !body?.reason) {
      setProblems({ ...problems, [id]: 'Say why you deny it.' });
      return;
    }
    try {
      const result = await call(
        decisionResponse,
        'POST',
        `/approvals/${encodeURIComponent(id)}/${verb}`,
        body,
        [409],
      );
      setProblems({ ...problems, [id]: '' });
      setStatus(
        result.outcome === 'refused'
          ? (result.message ?? 'Refused.')
          : result.outcome === 'recorded'
            ? `Your approval of ${target} is recorded: ${result.approvals} of ${result.required}.`
            : `${target} ${result.outcome}.`,
      );
    } catch (e) {
      setStatus(e instanceof ApiError ? e.message : 'Something went wrong.');
    }
    await load();
  };
  return (
    <div>
      <p role="status" aria-live="polite" class="status" data-testid="status">
        {status}
      </p>
      {data?.items.length === 0 && <p>Nothing waits for you.</p>}
      <ul class="cards" data-testid="approvals">
        {data?.items.map(({ request: r, history, approvedByMe }) => (
          <li key={r.id} class="card" data-request={r.targetId}>
            <h2 class="card-title">
              {r.requester} asks for {r.targetId} for {formatDuration(r.durationSeconds)}
            </h2>
            {scopeOf(r) && <p data-testid="request-scope">In {scopeOf(r)}</p>}
            <p>
              Reason: {r.reason || '—'}
              {r.ticket ? ` · ticket ${r.ticket}` : ''}
            </p>
            <p>
              <span class="progress-label" id={`progress-${r.id}`}>
                Approvals {r.approvals.length} of {r.approvalsRequired}
              </span>{' '}
              <progress
                max={r.approvalsRequired}
                value={r.approvals.length}
                aria-labelledby={`progress-${r.id}`}
              />
              {r.approvals.length > 0 && <span> (by {r.approvals.map((a) => a.approver).join(', ')})</span>}
            </p>
            <details>
              <summary>
                Recent history of {r.requester} on {r.targetId} ({history.length})
              </summary>
              {history.length === 0 ? (
                <p>No earlier requests.</p>
              ) : (
                <table>
                  <caption class="sr-only">Earlier requests</caption>
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Status</th>
                      <th scope="col">Reason</th>
                    </tr>
                  </thead>
                  <tbody>
                    {history.map((h) => (
                      <tr key={h.id}>
                        <td>{new Date(h.createdAt).toLocaleString()}</td>
                        <td>{h.status}</td>
                        <td>{h.reason}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </details>
            {approvedByMe ? (
              <p>You approved it; it waits for the others.</p>
            ) : (
              <div class="actions">
                <button type="button" onClick={() => void decide(r.id, r.targetId, 'approve')}>
                  Approve {r.targetId} for {r.requester}
                </button>
                <label for={`deny-${r.id}`}>Reason to deny</label>
                <input
                  id={`deny-${r.id}`}
                  value={reasons[r.id] ?? ''}
                  aria-invalid={problems[r.id] ? true : undefined}
                  aria-describedby={problems[r.id] ? `deny-${r.id}-error` : undefined}
                  onInput={(e) => setReasons({ ...reasons, [r.id]: (e.target as HTMLInputElement).value })}
                />
                <button type="button" onClick={() => void decide(r.id, r.targetId, 'deny')}>
                  Deny
                </button>
                {problems[r.id] && (
                  <p id={`deny-${r.id}-error`} class="error">
                    {problems[r.id]}
                  </p>
                )}
              </div>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
