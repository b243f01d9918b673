import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import * as z from 'zod';
import {
  consoleConfig,
  meResponse,
  type ConsoleConfig,
  type MeResponse,
} from '../../shared/api/console-schema.js';
import { ApiError, call, configure, setToken } from './api.js';
import { MyAccessPage } from './access.js';
import { ApprovalsPage } from './approvals.js';
import { AuditPage } from './audit.js';
import { DashboardPage } from './dashboard.js';
import { beginOidcSignIn, completeOidcSignIn, type OidcSession } from './oidc.js';
import './styles.css';

type Config = ConsoleConfig;

const PAGES = [
  { hash: '#/access', title: 'My access', role: 'requester' },
  { hash: '#/approvals', title: 'Approvals', role: 'approver' },
  { hash: '#/audit', title: 'Audit explorer', role: undefined },
  { hash: '#/dashboard', title: 'Dashboard', role: 'auditor' },
] as const;

function useHash(): string {
  const [hash, setHash] = useState(location.hash || '#/access');
  useEffect(() => {
    const changed = () => setHash(location.hash || '#/access');
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return hash;
}

/** The 403 page: shown instead of any data when the policy gives no role for a page. */
export function Forbidden({ message }: { readonly message: string }) {
  return (
    <section aria-labelledby="forbidden-title" class="forbidden">
      <h2 id="forbidden-title" tabIndex={-1}>
        403 · Not for you
      </h2>
      <p>{message}</p>
    </section>
  );
}

function SignIn({
  config,
  onSignedIn,
  initialError,
}: {
  readonly config: Config;
  readonly onSignedIn: () => void;
  readonly initialError?: string | undefined;
}) {
  const [people, setPeople] = useState<string[]>([]);
  const [person, setPerson] = useState('');
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (config.signIn !== 'dev') return;
    call(z.object({ people: z.array(z.string()) }), 'GET', '/dev/people')
      .then((r) => {
        setPeople(r.people);
        setPerson(r.people[0] ?? '');
      })
      .catch((e: Error) => setError(e.message));
  }, [config.signIn]);
  if (config.signIn === 'oidc') {
    const go = () => beginOidcSignIn(config.oidc).catch((e: Error) => setError(e.message));
    return (
      <main id="main" class="sign-in">
        <h1>JIT access console</h1>
        <p>Sign in through your organization’s identity provider.</p>
        <button type="button" onClick={() => void go()}>
          Sign in with your identity provider
        </button>
        {(error ?? initialError) && (
          <p role="alert" class="error">
            {error ?? initialError}
          </p>
        )}
      </main>
    );
  }
  if (config.signIn !== 'dev') {
    return (
      <main id="main">
        <h1>JIT access console</h1>
        <p>Sign in through your organization’s identity provider.</p>
      </main>
    );
  }
  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      const session = await call(
        z.object({ token: z.string(), expiresAt: z.string() }),
        'POST',
        '/dev/sign-in',
        {
          person,
        },
      );
      setToken(session.token);
      onSignedIn();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <main id="main" class="sign-in">
      <h1>JIT access console</h1>
      <p class="note">Development sign-in: the broker runs sandboxed on this machine only.</p>
      <form onSubmit={submit}>
        <label for="person">Sign in as</label>
        <select id="person" value={person} onChange={(e) => setPerson((e.target as HTMLSelectElement).value)}>
          {people.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
        <button type="submit">Sign in</button>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}

function Shell({ me, onSignOut }: { readonly me: MeResponse; readonly onSignOut: () => void }) {
  const hash = useHash();
  const page = PAGES.find((p) => hash.startsWith(p.hash)) ?? PAGES[0];
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${page.title} · JIT access console`;
    heading.current?.focus();
  }, [page.hash]);
  const allowed = page.role === undefined || me.roles[page.role];
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header>
        <nav aria-label="Console pages">
          <ul>
            {PAGES.map((p) => (
              <li key={p.hash}>
                <a href={p.hash} aria-current={p.hash === page.hash ? 'page' : undefined}>
                  {p.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <p class="who">
          Signed in as <strong data-testid="me">{me.person}</strong>{' '}
          <button type="button" class="link" onClick={onSignOut}>
            Sign out
          </button>
        </p>
      </header>
      <main id="main">
        <h1 ref={heading} tabIndex={-1}>
          {page.title}
        </h1>
        {!allowed ? (
          <Forbidden
            message={`The access policy does not make you ${page.role === 'auditor' ? 'an auditor' : `a ${page.role}`}.`}
          />
        ) : page.hash === '#/access' ? (
          <MyAccessPage me={me} />
        ) : page.hash === '#/approvals' ? (
          <ApprovalsPage />
        ) : page.hash === '#/audit' ? (
          <AuditPage me={me} />
        ) : (
          <DashboardPage />
        )}
      </main>
    </>
  );
}

function App({
  config,
  session,
  signInError,
}: {
  readonly config: Config;
  readonly session?: OidcSession | undefined;
  readonly signInError?: string | undefined;
}) {
  const [me, setMe] = useState<MeResponse>();
  const [forbidden, setForbidden] = useState<string>();
  const [signedIn, setSignedIn] = useState(session !== undefined);
  useEffect(() => {
    if (!session) return;
    // Why: a token past its expiry is refused anyway; back to sign-in rather than failing calls.
    const timer = setTimeout(signOut, Math.max(0, session.expiresAt - Date.now()));
    return () => clearTimeout(timer);
  }, [session]);
  useEffect(() => {
    configure(config.apiBase, () => {
      setSignedIn(false);
      setMe(undefined);
    });
  }, [config.apiBase]);
  useEffect(() => {
    if (!signedIn) return;
    call(meResponse, 'GET', '/me')
      .then(setMe)
      .catch((e: Error) => {
        if (e instanceof ApiError && e.status === 403) setForbidden(e.message);
        else setForbidden(undefined);
      });
  }, [signedIn]);
  const signOut = () => {
    void call(z.object({}), 'POST', '/sign-out').catch(() => undefined);
    setToken(undefined);
    setSignedIn(false);
    setMe(undefined);
    setForbidden(undefined);
  };
  if (!signedIn) {
    return <SignIn config={config} onSignedIn={() => setSignedIn(true)} initialError={signInError} />;
  }
  if (forbidden) {
    return (
      <main id="main">
        <h1>JIT access console</h1>
        <Forbidden message={forbidden} />
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </main>
    );
  }
  if (!me) return <p aria-live="polite">Loading…</p>;
  return <Shell me={me} onSignOut={signOut} />;
}

async function start(): Promise<void> {
  const root = document.getElementById('app') as HTMLElement;
  const config = consoleConfig.parse(await (await fetch('config.json', { cache: 'no-store' })).json());
  let session: OidcSession | undefined;
  let signInError: string | undefined;
  if (config.signIn === 'oidc') {
    try {
      session = await completeOidcSignIn(config.oidc);
      if (session) setToken(session.token);
    } catch (e) {
      signInError = (e as Error).message;
    }
  }
  root.textContent = '';
  render(<App config={config} session={session} signInError={signInError} />, root);
}

void start();
