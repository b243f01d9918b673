import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CONSOLE_API_PREFIX,
  devSignInBody,
  type ConsoleConfig,
  type OidcSignInConfig,
} from '../../shared/api/console-schema.js';
import { writeEvents } from '../../shared/adapters/audit-format/audit-format.js';
import { httpAnswerFor } from '../../shared/adapters/http/error-status.js';
import { BrokerError, NotAuthorizedError } from '../../shared/domain/errors.js';
import type { Person } from '../../shared/domain/person.js';
import type { PersonDirectory } from '../../shared/domain/ports.js';
import { buildConsoleAssets, consoleSecurityHeaders, type ConsoleAsset } from '../../console/build.js';
import { bearerToken, callerFromClaims, DevSessions, type ConsoleCaller } from '../console-api/caller.js';
import type { OidcVerifier } from '../console-api/oidc-verifier.js';
import { routeConsoleApi, type ConsoleApiDeps } from '../console-api/routes.js';

/** Where the console's pages are served locally. */
export const CONSOLE_PATH = '/console/';

const MAX_BODY_BYTES = 64 * 1024;

export interface LocalConsoleOptions {
  readonly api: ConsoleApiDeps;
  /** Answers for the persons a development session names (the Slack sandbox, emails for oidc ids). */
  readonly directory: PersonDirectory;
  /**
   * Whether development sign-in is offered: only while nothing real can be reached (AWS and
   * Slack sandboxed) and the broker listens on loopback, like the default signing secret.
   */
  readonly devSignIn: boolean;
  readonly sessions: DevSessions;
  /**
   * Sign-in through an OIDC identity provider instead of development sign-in: the page runs the
   * authorization code flow with PKCE, and every bearer token is verified here (what API
   * Gateway's JWT authorizer does in AWS) before its email claim names the caller.
   */
  readonly oidc?: {
    readonly config: OidcSignInConfig;
    readonly verify: OidcVerifier;
    readonly emailClaim?: string;
    readonly groupsClaim?: string;
  };
  readonly logger: {
    warn(message: string, fields?: Record<string, unknown>): void;
    error(message: string, fields?: Record<string, unknown>): void;
  };
}

/** The local console: its built pages and its API, behind development sign-in. */
export interface LocalConsole {
  /** Handles a request under /console; the runner has already checked it comes from loopback. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new BrokerError('VALIDATION_FAILED', 'The body is too large.', { expose: true });
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new BrokerError('VALIDATION_FAILED', 'The body is not JSON.', { expose: true });
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    ...consoleSecurityHeaders(),
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  res.end(JSON.stringify(body));
}

/**
 * Builds the console (esbuild, once) and returns its request handler. Tokens arrive only in the
 * Authorization header (never a cookie, so no CSRF; never the URL, so never in a log line).
 */
export async function createLocalConsole(options: LocalConsoleOptions): Promise<LocalConsole> {
  const { sessions, oidc } = options;
  const config: ConsoleConfig = oidc
    ? { apiBase: CONSOLE_API_PREFIX, signIn: 'oidc', oidc: oidc.config }
    : { apiBase: CONSOLE_API_PREFIX, signIn: options.devSignIn ? 'dev' : 'none' };
  const assets: Map<string, ConsoleAsset> = await buildConsoleAssets({ minify: false, config });
  // The page talks to the identity provider itself (discovery, token endpoint): its origin only.
  const headers = consoleSecurityHeaders(oidc ? new URL(oidc.config.issuer).origin : undefined);
  const policy = () => options.api.request.policy.current();

  /** The caller a bearer token names: a verified OIDC token, or a development session. */
  const callerOf = async (token: string): Promise<ConsoleCaller | undefined> => {
    if (!oidc) {
      const person: Person | undefined = sessions.personOf(token);
      return person && { person, directory: options.directory };
    }
    // Why: an unverified token names whoever wrote it; a refused one is a 401 (sign in again).
    const claims = await oidc.verify(token).catch(() => undefined);
    if (!claims) return undefined;
    return callerFromClaims(claims, {
      emailClaim: oidc.emailClaim ?? 'email',
      ...(oidc.groupsClaim ? { groupsClaim: oidc.groupsClaim } : {}),
      policy: policy(),
    });
  };

  const fail = (res: ServerResponse, error: unknown, path: string) => {
    const answer = httpAnswerFor(error);
    if (!answer.clientError)
      options.logger.error('console api request failed', { path, error: error as Error });
    else if (error instanceof BrokerError) {
      options.logger.warn('console api request refused', { path, code: error.code, reason: error.message });
    }
    if (res.headersSent) return void res.destroy();
    sendJson(
      res,
      answer.statusCode,
      error instanceof BrokerError && answer.expose
        ? { error: error.code, message: error.message }
        : { error: 'INTERNAL', message: 'Internal error.' },
    );
  };

  const api = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const path = url.pathname.slice(CONSOLE_API_PREFIX.length) || '/';
    const method = req.method ?? 'GET';
    if (path === '/dev/people' && method === 'GET') {
      if (!options.devSignIn) throw new NotAuthorizedError('no-dev-sign-in', 'Development sign-in is off.');
      return sendJson(res, 200, { people: DevSessions.peopleOf(policy()) });
    }
    if (path === '/dev/sign-in' && method === 'POST') {
      // Why: anyone on the machine could act as anyone; only while nothing real can be reached.
      if (!options.devSignIn) {
        throw new NotAuthorizedError(
          'no-dev-sign-in',
          'Development sign-in needs AWS_MODE=sandbox, the built-in Slack sandbox and a loopback HOST.',
        );
      }
      const parsed = devSignInBody.safeParse(await readJson(req));
      if (!parsed.success) throw new BrokerError('VALIDATION_FAILED', 'Name a person.', { expose: true });
      return sendJson(res, 200, sessions.signIn(policy(), parsed.data.person));
    }
    const token = bearerToken(req.headers as Record<string, string | undefined>);
    const caller = token === undefined ? undefined : await callerOf(token);
    if (!caller || token === undefined) {
      return sendJson(res, 401, {
        error: 'NOT_SIGNED_IN',
        message: 'Sign in again (sessions last 15 minutes).',
      });
    }
    if (path === '/sign-out' && method === 'POST') {
      sessions.signOut(token);
      return sendJson(res, 200, {});
    }
    const answer = await routeConsoleApi(options.api, {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      body: method === 'POST' ? await readJson(req) : undefined,
      caller,
    });
    if (answer.kind === 'json') return sendJson(res, answer.status, answer.body);
    // Streamed: the first page is read before the headers go out, so a bad filter is still a 400.
    const iterator = answer.events[Symbol.asyncIterator]();
    const first = await iterator.next();
    res.writeHead(200, {
      ...consoleSecurityHeaders(),
      'Content-Type':
        answer.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      'Content-Disposition': `attachment; filename="${answer.filename}"`,
      'Cache-Control': 'no-store',
    });
    const rest = {
      async *[Symbol.asyncIterator]() {
        if (first.done) return;
        yield first.value;
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
      },
    };
    await writeEvents(rest, answer.format, res);
    res.end();
  };

  return {
    async handle(req, res, url) {
      if (url.pathname.startsWith(`${CONSOLE_API_PREFIX}/`)) {
        try {
          await api(req, res, url);
        } catch (error) {
          fail(res, error, url.pathname);
        }
        return;
      }
      if (url.pathname === '/console') {
        res.writeHead(308, { Location: CONSOLE_PATH });
        return void res.end();
      }
      const name = url.pathname.slice(CONSOLE_PATH.length) || 'index.html';
      const asset = assets.get(name);
      if (!asset || (req.method !== 'GET' && req.method !== 'HEAD')) {
        return sendJson(res, 404, { error: 'NOT_FOUND', message: 'Not found.' });
      }
      res.writeHead(200, {
        ...headers,
        'Content-Type': asset.contentType,
        'Cache-Control': 'no-cache',
      });
      res.end(req.method === 'HEAD' ? undefined : asset.body);
    },
  };
}
