import { useEffect, useRef, useState } from 'preact/hooks';
import {
  credentialsResponse,
  credentialsTicketResponse,
  myAccessResponse,
  requestView,
  submitRequestBody,
  submitResponse,
  formProblems,
  type CredentialsResponse,
  type FormField,
  type MeResponse,
  type MyAccessResponse,
  type RequestView,
} from '../../shared/api/console-schema.js';
import { formatDuration } from '../../shared/domain/duration.js';
import { accountLabel } from '../../shared/domain/account-directory.js';
import { accountProblem } from '../../shared/domain/decision.js';
import { call, humanDuration, newIdempotencyKey } from './api.js';
import { grantLabel, scopeOf } from './grant-scope.js';

/** How often the page asks for news (a grant approved meanwhile appears on its own). */
const REFRESH_MS = 3000;

type Problems = Partial<Record<FormField | 'form', string>>;

function Field(props: {
  readonly id: string;
  readonly label: string;
  readonly hint?: string;
  readonly problem?: string;
  readonly children: (describedBy: string | undefined) => preact.ComponentChildren;
}) {
  const describedBy = [props.hint ? `${props.id}-hint` : '', props.problem ? `${props.id}-error` : '']
    .filter(Boolean)
    .join(' ');
  return (
    <div class={`field${props.problem ? ' invalid' : ''}`}>
      <label for={props.id}>{props.label}</label>
      {props.hint && (
        <p id={`${props.id}-hint`} class="hint">
          {props.hint}
        </p>
      )}
      {props.children(describedBy || undefined)}
      {props.problem && (
        <p id={`${props.id}-error`} class="error" data-testid={`${props.id}-error`}>
          {props.problem}
        </p>
      )}
    </div>
  );
}

function RequestForm({
  me,
  onDone,
}: {
  readonly me: MeResponse;
  readonly onDone: (message: string) => void;
}) {
  const [targetId, setTargetId] = useState('');
  const [duration, setDuration] = useState('');
  const [reason, setReason] = useState('');
  const [ticket, setTicket] = useState('');
  const [accounts, setAccounts] = useState<readonly string[]>([]);
  const [problems, setProblems] = useState<Problems>({});
  const [busy, setBusy] = useState(false);
  // One key per request being filled in: every try of it (double click, retry) sends the same.
  const key = useRef(newIdempotencyKey());
  const target = me.targets.find((t) => t.id === targetId);
  if (me.identityProblem) return <p class="error">{me.identityProblem}</p>;
  if (me.targets.length === 0) return <p>There is nothing in the access policy you may request.</p>;

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = {
      targetId,
      duration,
      reason,
      ticket,
      ...(target?.accounts ? { accounts } : {}),
      idempotencyKey: key.current,
    };
    // The shared schema first (the same words as the Slack modal), then the policy's decision.
    const checked = submitRequestBody.safeParse(form);
    if (!checked.success) return setProblems(formProblems(checked.error));
    // The account rule (decideRequest's, run again by the server) says so inline before sending.
    const accountRefusal = accountProblem(
      target?.accounts ? accounts : undefined,
      target?.accounts?.map((a) => a.id),
    );
    if (accountRefusal) return setProblems({ accounts: accountRefusal.message });
    setBusy(true);
    try {
      const result = await call(submitResponse, 'POST', '/requests', form, [400, 422]);
      if (result.outcome === 'refused') {
        setProblems({ [result.field ?? 'form']: result.message });
        return;
      }
      setProblems({});
      key.current = newIdempotencyKey();
      setReason('');
      setTicket('');
      setDuration('');
      setAccounts([]);
      onDone(
        result.outcome === 'approved'
          ? `${result.request.targetId} was approved automatically; access is being set up.`
          : `Your request for ${result.request.targetId} went to its approvers.`,
      );
    } catch (e) {
      setProblems({ form: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} aria-labelledby="request-title" noValidate>
      <h2 id="request-title">Request access</h2>
      <Field id="target" label="Target" problem={problems.target}>
        {(d) => (
          <select
            id="target"
            value={targetId}
            aria-describedby={d}
            aria-invalid={problems.target ? true : undefined}
            onChange={(e) => {
              setTargetId((e.target as HTMLSelectElement).value);
              setAccounts([]);
            }}
          >
            <option value="">Choose a target…</option>
            {me.targets.map((t) => (
              <option key={t.id} value={t.id}>
                {t.id} · {t.description}
              </option>
            ))}
          </select>
        )}
      </Field>
      {target?.accounts && (
        <fieldset
          id="accounts"
          class={`field${problems.accounts ? ' invalid' : ''}`}
          aria-describedby={problems.accounts ? 'accounts-error' : undefined}
        >
          <legend>Accounts</legend>
          {target.accounts.map((a) => (
            <label key={a.id} class="check">
              <input
                type="checkbox"
                name="accounts"
                value={a.id}
                checked={accounts.includes(a.id)}
                onChange={(e) => {
                  const on = (e.target as HTMLInputElement).checked;
                  setAccounts(on ? [...accounts, a.id] : accounts.filter((id) => id !== a.id));
                }}
              />{' '}
              {accountLabel(a)}
            </label>
          ))}
          {problems.accounts && (
            <p id="accounts-error" class="error" data-testid="accounts-error">
              {problems.accounts}
            </p>
          )}
        </fieldset>
      )}
      <Field
        id="duration"
        label="Duration"
        hint={
          target
            ? `Default ${formatDuration(target.defaultDurationSeconds)}, at most ${formatDuration(target.maxDurationSeconds)}. Leave empty for the default.`
            : 'Leave empty for the target’s default (30m, 1h, 1h30m…).'
        }
        problem={problems.duration}
      >
        {(d) => (
          <input
            id="duration"
            value={duration}
            autoComplete="off"
            aria-describedby={d}
            aria-invalid={problems.duration ? true : undefined}
            onInput={(e) => setDuration((e.target as HTMLInputElement).value)}
          />
        )}
      </Field>
      <Field
        id="reason"
        label={`Reason${target && !target.requireReason ? ' (optional)' : ''}`}
        problem={problems.reason}
      >
        {(d) => (
          <textarea
            id="reason"
            value={reason}
            rows={3}
            aria-describedby={d}
            aria-invalid={problems.reason ? true : undefined}
            onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)}
          />
        )}
      </Field>
      {(!target || target.requireTicket) && (
        <Field
          id="ticket"
          label={`Ticket${target?.requireTicket ? '' : ' (optional)'}`}
          problem={problems.ticket}
        >
          {(d) => (
            <input
              id="ticket"
              value={ticket}
              autoComplete="off"
              aria-describedby={d}
              aria-invalid={problems.ticket ? true : undefined}
              onInput={(e) => setTicket((e.target as HTMLInputElement).value)}
            />
          )}
        </Field>
      )}
      {problems.form && (
        <p role="alert" class="error">
          {problems.form}
        </p>
      )}
      <button type="submit" disabled={busy}>
        Request
      </button>
    </form>
  );
}

/**
 * The credentials dialog. The credentials live only in this component's state; closing the
 * dialog drops the state, so they leave the DOM (and the page's memory) at once.
 */
function CredentialsDialog({
  grant,
  onClose,
}: {
  readonly grant: RequestView;
  readonly onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [answer, setAnswer] = useState<CredentialsResponse>({ state: 'pending' });
  useEffect(() => {
    dialog.current?.showModal();
    let stopped = false;
    (async () => {
      try {
        const { ticket } = await call(
          credentialsTicketResponse,
          'POST',
          `/grants/${encodeURIComponent(grant.id)}/credentials`,
        );
        for (let i = 0; i < 60 && !stopped; i++) {
          const next = await call(credentialsResponse, 'GET', `/credentials/${encodeURIComponent(ticket)}`);
          if (next.state !== 'pending') {
            if (!stopped) setAnswer(next);
            return;
          }
          await new Promise((r) => setTimeout(r, 500));
        }
      } catch (e) {
        if (!stopped) setAnswer({ state: 'failed', message: (e as Error).message });
      }
    })();
    return () => {
      stopped = true;
    };
  }, [grant.id]);
  const close = () => {
    setAnswer({ state: 'pending' });
    dialog.current?.close();
    onClose();
  };
  return (
    <dialog ref={dialog} aria-labelledby="credentials-title" onCancel={close} class="credentials">
      <h2 id="credentials-title">Credentials for {grant.targetId}</h2>
      {answer.state === 'pending' && <p aria-live="polite">Minting a session…</p>}
      {answer.state === 'failed' && <p role="alert">{answer.message}</p>}
      {answer.state === 'ready' && (
        <div data-testid="credentials">
          <p>
            Valid until {new Date(answer.expiration).toLocaleString()}. Shown once: they are not stored
            anywhere.
          </p>
          {answer.consoleUrl ? (
            <p>
              <a href={answer.consoleUrl} target="_blank" rel="noopener noreferrer">
                Open the AWS console
              </a>
            </p>
          ) : (
            <p>Console link unavailable: {answer.consoleLinkError}</p>
          )}
          <label for="cli-lines">CLI environment</label>
          <textarea id="cli-lines" readOnly rows={4} class="secret">
            {`export AWS_ACCESS_KEY_ID=${answer.accessKeyId}\nexport AWS_SECRET_ACCESS_KEY=${answer.secretAccessKey}\nexport AWS_SESSION_TOKEN=${answer.sessionToken}`}
          </textarea>
        </div>
      )}
      <button type="button" onClick={close}>
        Close
      </button>
    </dialog>
  );
}

function ExtendForm({
  grant,
  onDone,
}: {
  readonly grant: RequestView;
  readonly onDone: (m: string) => void;
}) {
  const [duration, setDuration] = useState('');
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<string>();
  const key = useRef(newIdempotencyKey());
  const submit = async (event: Event) => {
    event.preventDefault();
    const result = await call(
      submitResponse,
      'POST',
      `/grants/${encodeURIComponent(grant.id)}/extend`,
      { duration, reason, idempotencyKey: key.current },
      [422],
    ).catch((e: Error) => ({ outcome: 'refused' as const, message: e.message }));
    if (result.outcome === 'refused') return setProblem(result.message);
    key.current = newIdempotencyKey();
    onDone(
      `More time on ${grant.targetId}: ${result.outcome === 'approved' ? 'approved' : 'sent to its approvers'}.`,
    );
  };
  const id = `extend-${grant.id}`;
  return (
    <form onSubmit={submit} class="inline" aria-label={`Extend ${grant.targetId}`}>
      <label for={`${id}-duration`}>More time</label>
      <input
        id={`${id}-duration`}
        value={duration}
        size={6}
        onInput={(e) => setDuration((e.target as HTMLInputElement).value)}
      />
      <label for={`${id}-reason`}>Reason</label>
      <input
        id={`${id}-reason`}
        value={reason}
        onInput={(e) => setReason((e.target as HTMLInputElement).value)}
      />
      <button type="submit">Extend</button>
      {problem && (
        <p role="alert" class="error">
          {problem}
        </p>
      )}
    </form>
  );
}

export function MyAccessPage({ me }: { readonly me: MeResponse }) {
  const [access, setAccess] = useState<MyAccessResponse>();
  const [status, setStatus] = useState('');
  const [credentialsFor, setCredentialsFor] = useState<RequestView>();
  const [tick, setTick] = useState(0);
  const load = () => call(myAccessResponse, 'GET', '/my-access').then(setAccess);
  useEffect(() => {
    void load().catch((e: Error) => setStatus(e.message));
    const timer = setInterval(() => {
      setTick((t) => t + 1);
      void load().catch(() => undefined);
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  void tick;
  const act = async (path: string, done: string) => {
    try {
      await call(requestView, 'POST', path);
      setStatus(done);
    } catch (e) {
      setStatus((e as Error).message);
    }
    await load();
  };
  const done = (message: string) => {
    setStatus(message);
    void load();
  };
  return (
    <div class="columns">
      <RequestForm me={me} onDone={done} />
      <div>
        <p role="status" aria-live="polite" class="status" data-testid="status">
          {status}
        </p>
        <section aria-labelledby="pending-title">
          <h2 id="pending-title">Pending requests</h2>
          {access?.pending.length === 0 && <p>None.</p>}
          <ul class="cards" data-testid="pending">
            {access?.pending.map((r) => (
              <li key={r.id} class="card">
                <strong>{r.targetId}</strong>
                {scopeOf(r) && <span> · {scopeOf(r)}</span>} for {formatDuration(r.durationSeconds)} ·
                approvals {r.approvals.length} of {r.approvalsRequired}
                <p class="muted">{r.reason}</p>
                <button
                  type="button"
                  onClick={() =>
                    void act(`/requests/${encodeURIComponent(r.id)}/cancel`, `Cancelled ${r.targetId}.`)
                  }
                >
                  Cancel request for {r.targetId}
                </button>
              </li>
            ))}
          </ul>
        </section>
        <section aria-labelledby="live-title">
          <h2 id="live-title">Live grants</h2>
          {access?.live.length === 0 && <p>None.</p>}
          <ul class="cards" data-testid="live">
            {access?.live.map((g) => (
              <li key={g.request.id} class="card" data-grant={g.request.targetId}>
                <strong>{g.request.targetId}</strong>
                {scopeOf(g.request) && <span data-testid="grant-scope"> · {scopeOf(g.request)}</span>} ·{' '}
                {g.request.status.toLowerCase()} · <span>{humanDuration(g.secondsLeft)} left</span>
                {g.request.endRequested && <span> · ending</span>}
                <div class="actions">
                  <button
                    type="button"
                    onClick={() =>
                      void act(
                        `/grants/${encodeURIComponent(g.request.id)}/release`,
                        `Releasing ${grantLabel(g.request)}.`,
                      )
                    }
                  >
                    Release {grantLabel(g.request)}
                  </button>
                  {g.canGetCredentials && (
                    <button type="button" onClick={() => setCredentialsFor(g.request)}>
                      Get credentials for {grantLabel(g.request)}
                    </button>
                  )}
                </div>
                <ExtendForm grant={g.request} onDone={done} />
              </li>
            ))}
          </ul>
        </section>
      </div>
      {credentialsFor && (
        <CredentialsDialog grant={credentialsFor} onClose={() => setCredentialsFor(undefined)} />
      )}
    </div>
  );
}
