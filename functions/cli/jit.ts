import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { accountLabel } from '../../shared/domain/account-directory.js';
import { defaultCredentials, regionOfFunctionUrl, signRequest } from '../../shared/adapters/aws/sigv4.js';
import { formatDuration, tryParseDuration } from '../../shared/domain/duration.js';
import { CLIENT_HEADER } from '../../shared/usecases/channel.js';

/**
 * The requester's CLI over the request API (functions/request-api/routes.ts). Every call is
 * signed with the caller's normal AWS credentials (SigV4, the SDK's default provider chain);
 * the API maps that principal to a person through the policy.
 *
 * Exit codes, for CI jobs to branch on:
 *   0 done (request approved or pending, grant active with --wait, credentials printed...)
 *   1 error (network, the API failed, bad usage)
 *   2 refused (the policy said no, or the API refused the caller: not authorised, not found)
 *   3 denied (with --wait: the request was denied, cancelled, timed out or failed)
 *   4 timed out waiting (--wait gave up; the request may still be decided later)
 */
export const EXIT = { ok: 0, error: 1, refused: 2, denied: 3, waitTimedOut: 4 } as const;

export const USAGE = `Usage: jit <command> [options]
  jit request <target> --for 1h --reason "…" [--ticket OPS-1] [--account ID] [--start TIME] [--wait]
  jit ls                                      (pending requests, live grants, scheduled grants)
  jit release <id>
  jit cancel <id>                             (a pending request, or a scheduled grant before its start)
  jit extend <id> --by 30m [--reason "…"]
  jit approve <id>
  jit deny <id> --reason "…"
  jit revoke <id> --reason "…"                                  (approvers of its target, security)
  jit revoke --person <email|id> [--target T] --reason "…"      (security: all of a person's grants)
  jit creds <target> [--credential-process | --env]

Options: --url URL (or JIT_API_URL), --region REGION (default: from the URL, else AWS_REGION),
--json (machine-readable output), --wait-timeout 15m, --poll 5s; --start takes an ISO 8601
time with its offset (2026-12-02T02:00:00Z): approval now, access from then.
Exit codes: 0 ok, 1 error, 2 refused, 3 denied/cancelled/timed out/failed, 4 gave up waiting.`;

/** The broker's version (package.json), or `unknown` when it cannot be read. */
function brokerVersion(): string {
  try {
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    const version = (JSON.parse(text) as { version?: unknown }).version;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * How the CLI names itself to the request API (the x-jit-client header), so the audit trail
 * says `cli` rather than `api`. Informational: the caller is still the SigV4 principal.
 */
export const CLI_CLIENT = `cli/${brokerVersion()}`;

interface Io {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch?: typeof fetch;
  readonly credentials?: Parameters<typeof signRequest>[1]['credentials'];
  readonly sleep?: (ms: number) => Promise<void>;
}

class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

interface ApiAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

type RequestView = {
  id: string;
  target: string;
  status: string;
  durationSeconds: number;
  startsAt?: string;
  endsAt?: string;
  secondsLeft?: number;
  approvals: number;
  approvalsRequired: number;
  account?: string;
  accountName?: string;
  accounts?: { id: string; name?: string }[];
  permissionSetName?: string;
  ticket?: string;
  /** The ticket as its system described it at submission (the request API's `ticketInfo`). */
  ticketInfo?: { system: string; title: string; status: string; url: string; warning?: string };
};

function seconds(text: string, flag: string): number {
  const total = tryParseDuration(text);
  if (total === undefined)
    throw new CliError(`${flag}: "${text}" is not a duration (try 30m or 1h)`, EXIT.error);
  return total;
}

function client(io: Io, url: string, region: string | undefined) {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new CliError(`--url: "${url}" is not a URL`, EXIT.error);
  }
  const signingRegion =
    region ?? regionOfFunctionUrl(base) ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const credentials = io.credentials ?? defaultCredentials();
  const doFetch = io.fetch ?? fetch;
  return async (method: string, path: string, body?: unknown): Promise<ApiAnswer> => {
    const target = new URL(base.pathname.replace(/\/+$/, '') + path, base);
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers = await signRequest(
      {
        method,
        url: target,
        headers: { 'content-type': 'application/json', [CLIENT_HEADER]: CLI_CLIENT },
        ...(text ? { body: text } : {}),
      },
      { region: signingRegion, credentials },
    );
    let response: Response;
    try {
      response = await doFetch(target, { method, headers, ...(text ? { body: text } : {}) });
    } catch (error) {
      throw new CliError(
        `The request API at ${base.origin} did not answer: ${(error as Error).message}`,
        EXIT.error,
      );
    }
    const raw = await response.text();
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      parsed = { message: raw.slice(0, 200) };
    }
    return { status: response.status, body: parsed };
  };
}

/** An answer that is not a success becomes the CLI error with its exit code. */
function checked(answer: ApiAnswer): Record<string, unknown> {
  if (answer.status < 300) return answer.body;
  const message = String(answer.body.message ?? answer.body.error ?? `HTTP ${answer.status}`);
  const refused =
    answer.status === 422 ||
    answer.status === 403 ||
    answer.status === 404 ||
    answer.status === 409 ||
    answer.status === 400;
  throw new CliError(message, refused ? EXIT.refused : EXIT.error);
}

/** One request as `jit ls` lists it; `state` replaces its status (a scheduled grant's start). */
function describe(r: RequestView, state: string = r.status): string {
  const left = r.secondsLeft !== undefined ? `, ${formatDuration(r.secondsLeft)} left` : '';
  const approvals = r.status === 'PENDING' ? ` (${r.approvals}/${r.approvalsRequired} approvals)` : '';
  return `${r.id}  ${r.target}${scope(r)}  ${state}${approvals}${left}${ticketLine(r)}`;
}

/** "scheduled, starts 2026-12-02T02:00:00.000Z for 2h": an approved grant whose start is ahead. */
function scheduledState(r: RequestView): string {
  return `scheduled, starts ${r.startsAt ?? '?'} for ${formatDuration(r.durationSeconds)}`;
}

/**
 * The ticket line under a request, as the approval message shows it: key, title, status and
 * link, or the warning when it could not be checked; the key alone for a request stored before
 * tickets were checked. Empty without a ticket.
 */
function ticketLine(r: RequestView): string {
  if (!r.ticket) return '';
  const info = r.ticketInfo;
  const parts = [
    [r.ticket, info?.title].filter(Boolean).join(' '),
    info?.status,
    info?.url,
    info?.warning === undefined ? undefined : `warning: ${info.warning}`,
  ].filter((part) => part !== undefined && part !== '');
  return `\n         ticket ${printable(parts.join(' · '))}`;
}

/** Why: the title and status come from the ticket system; no escape sequence reaches the terminal. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

/** " (AdministratorAccess in Prod (111122223333))": where a grant in accounts applies, as the API named it. */
function scope(r: RequestView): string {
  const accounts = r.accounts ?? (r.account === undefined ? [] : [{ id: r.account, name: r.accountName }]);
  const where = accounts
    .map((a) => accountLabel({ id: a.id, ...(a.name ? { name: a.name } : {}) }))
    .join(', ');
  const text = [r.permissionSetName, where].filter(Boolean).join(' in ');
  return text === '' ? '' : ` (${text})`;
}

const FINAL_BAD = new Set(['DENIED', 'CANCELLED', 'TIMED_OUT', 'FAILED', 'EXPIRED', 'REVOKED']);

async function waitFor(
  io: Io,
  call: ReturnType<typeof client>,
  id: string,
  options: { timeoutMs: number; pollMs: number; quiet: boolean },
): Promise<{ request: RequestView; exitCode: number }> {
  const sleep = io.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const started = Date.now();
  const spinner = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  for (let tick = 0; ; tick++) {
    const request = checked(await call('GET', `/requests/${id}`)).request as RequestView;
    if (request.status === 'ACTIVE' || FINAL_BAD.has(request.status)) {
      if (!options.quiet) io.stderr.write(io.stderr.isTTY ? '\r\x1b[K' : '');
      return { request, exitCode: request.status === 'ACTIVE' ? EXIT.ok : EXIT.denied };
    }
    const waited = Date.now() - started;
    if (waited >= options.timeoutMs) {
      if (!options.quiet) io.stderr.write('\n');
      return { request, exitCode: EXIT.waitTimedOut };
    }
    if (!options.quiet) {
      const line = `${spinner[tick % spinner.length]} waiting for ${request.target} (${request.status}, ${Math.round(waited / 1000)}s)`;
      io.stderr.write(io.stderr.isTTY ? `\r\x1b[K${line}` : `${line}\n`);
    }
    await sleep(options.pollMs);
  }
}

/** Runs the CLI on `argv`; returns the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        region: { type: 'string' },
        json: { type: 'boolean', default: false },
        for: { type: 'string' },
        by: { type: 'string' },
        reason: { type: 'string' },
        ticket: { type: 'string' },
        person: { type: 'string' },
        target: { type: 'string' },
        account: { type: 'string' },
        start: { type: 'string' },
        wait: { type: 'boolean', default: false },
        'wait-timeout': { type: 'string', default: '15m' },
        poll: { type: 'string', default: '5s' },
        'credential-process': { type: 'boolean', default: false },
        env: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    io.stderr.write(`jit: ${(error as Error).message}\n${USAGE}\n`);
    return EXIT.error;
  }
  const { values, positionals } = parsed;
  const [command, arg] = positionals;
  if (values.help || command === undefined) {
    (values.help ? io.stdout : io.stderr).write(`${USAGE}\n`);
    return values.help ? EXIT.ok : EXIT.error;
  }
  const out = (human: string, json: unknown) =>
    io.stdout.write(values.json ? `${JSON.stringify(json, null, 2)}\n` : `${human}\n`);
  try {
    const url = values.url ?? io.env.JIT_API_URL;
    if (!url) throw new CliError('No request API: pass --url or set JIT_API_URL.', EXIT.error);
    const call = client(io, url, values.region);
    const needArg = (what: string) => {
      if (!arg) throw new CliError(`jit ${command}: missing <${what}>\n${USAGE}`, EXIT.error);
      return arg;
    };
    switch (command) {
      case 'request': {
        const target = needArg('target');
        const body = checked(
          await call('POST', '/requests', {
            target,
            ...(values.for ? { duration: seconds(values.for, '--for') } : {}),
            ...(values.reason !== undefined ? { reason: values.reason } : {}),
            ...(values.ticket !== undefined ? { ticket: values.ticket } : {}),
            ...(values.account !== undefined ? { account: values.account } : {}),
            ...(values.start !== undefined ? { start: values.start } : {}),
            // A retried command (a CI re-run of the same step) may pass one to avoid a duplicate.
            idempotencyKey: io.env.JIT_IDEMPOTENCY_KEY ?? randomUUID(),
          }),
        );
        const request = body.request as RequestView;
        if (!values.wait) {
          out(
            body.outcome === 'approved'
              ? `${request.id}: ${target} was approved automatically; access is being set up.`
              : `${request.id}: your request for ${target} went to its approvers.`,
            body,
          );
          return EXIT.ok;
        }
        const waited = await waitFor(io, call, request.id, {
          timeoutMs: seconds(values['wait-timeout'], '--wait-timeout') * 1000,
          pollMs: seconds(values.poll, '--poll') * 1000,
          quiet: values.json,
        });
        out(
          waited.exitCode === EXIT.ok
            ? `${request.id}: ${target} is ACTIVE until ${waited.request.endsAt ?? '?'}.`
            : waited.exitCode === EXIT.waitTimedOut
              ? `${request.id}: still ${waited.request.status} after ${values['wait-timeout']}; gave up waiting.`
              : `${request.id}: ${target} was ${waited.request.status}.`,
          { outcome: waited.request.status, request: waited.request },
        );
        return waited.exitCode;
      }
      case 'ls': {
        const body = checked(await call('GET', '/requests'));
        const pending = body.pending as RequestView[];
        const live = body.live as RequestView[];
        // Absent from an API older than scheduled starts.
        const scheduled = (body.scheduled ?? []) as RequestView[];
        const lines = [
          ...live.map((r) => `live     ${describe(r)}`),
          ...scheduled.map((r) => `later    ${describe(r, scheduledState(r))}`),
          ...pending.map((r) => `pending  ${describe(r)}`),
        ];
        out(
          lines.length === 0 ? 'No pending requests, live grants or scheduled grants.' : lines.join('\n'),
          body,
        );
        return EXIT.ok;
      }
      case 'release':
      case 'cancel':
      case 'approve': {
        const id = needArg('id');
        const body = checked(await call('POST', `/requests/${encodeURIComponent(id)}/${command}`));
        if (body.outcome === 'refused') throw new CliError(String(body.message), EXIT.refused);
        const request = body.request as RequestView;
        out(`${request.id}: ${String(body.outcome)} (${request.status})`, body);
        return EXIT.ok;
      }
      case 'deny': {
        const id = needArg('id');
        if (!values.reason) throw new CliError('jit deny: --reason is required', EXIT.error);
        const body = checked(
          await call('POST', `/requests/${encodeURIComponent(id)}/deny`, { reason: values.reason }),
        );
        out(`${id}: denied`, body);
        return EXIT.ok;
      }
      case 'revoke': {
        if (!values.reason?.trim()) throw new CliError('jit revoke: --reason is required', EXIT.error);
        if (values.person === undefined) {
          if (values.target !== undefined)
            throw new CliError('jit revoke: --target goes with --person', EXIT.error);
          const id = needArg('id');
          const body = checked(
            await call('POST', `/requests/${encodeURIComponent(id)}/revoke`, { reason: values.reason }),
          );
          out(`${id}: being revoked; the holder is told who and why.`, body);
          return EXIT.ok;
        }
        if (arg !== undefined)
          throw new CliError('jit revoke: give either <id> or --person, not both', EXIT.error);
        const body = checked(
          await call('POST', '/revocations', {
            person: values.person,
            ...(values.target !== undefined ? { target: values.target } : {}),
            reason: values.reason,
          }),
        );
        const revoked = body.revoked as RequestView[];
        const on = values.target === undefined ? '' : ` on ${values.target}`;
        out(
          revoked.length === 0
            ? `${values.person} holds no live grant${on}.`
            : [
                `${revoked.length} live grant${revoked.length === 1 ? '' : 's'} of ${values.person}${on} being revoked; the holder is told who and why:`,
                ...revoked.map((r) => `  ${r.id}  ${r.target}`),
              ].join('\n'),
          body,
        );
        return EXIT.ok;
      }
      case 'extend': {
        const id = needArg('id');
        if (!values.by) throw new CliError('jit extend: --by is required (e.g. --by 30m)', EXIT.error);
        const body = checked(
          await call('POST', `/requests/${encodeURIComponent(id)}/extend`, {
            by: seconds(values.by, '--by'),
            ...(values.reason !== undefined ? { reason: values.reason } : {}),
          }),
        );
        const request = body.request as RequestView;
        out(`${request.id}: extension of ${id} by ${values.by} is ${request.status}`, body);
        return EXIT.ok;
      }
      case 'creds': {
        const target = needArg('target');
        const body = checked(await call('POST', '/credentials', { target }));
        const creds = body.credentials as {
          accessKeyId: string;
          secretAccessKey: string;
          sessionToken: string;
          expiration: string;
        };
        if (values['credential-process']) {
          // The AWS CLI/SDK credential_process format (Version 1, with Expiration to refresh).
          io.stdout.write(
            `${JSON.stringify({
              Version: 1,
              AccessKeyId: creds.accessKeyId,
              SecretAccessKey: creds.secretAccessKey,
              SessionToken: creds.sessionToken,
              Expiration: creds.expiration,
            })}\n`,
          );
          return EXIT.ok;
        }
        out(
          [
            `export AWS_ACCESS_KEY_ID=${creds.accessKeyId}`,
            `export AWS_SECRET_ACCESS_KEY=${creds.secretAccessKey}`,
            `export AWS_SESSION_TOKEN=${creds.sessionToken}`,
            `# expires ${creds.expiration}`,
          ].join('\n'),
          body,
        );
        return EXIT.ok;
      }
      default:
        throw new CliError(`jit: unknown command "${command}"\n${USAGE}`, EXIT.error);
    }
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr.write(`jit: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(`jit: ${(error as Error).message}\n`);
    return EXIT.error;
  }
}

export async function run(): Promise<void> {
  process.exitCode = await main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
