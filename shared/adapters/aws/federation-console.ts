import { z } from 'zod';
import type { ConsoleLinkMaker, SessionCredentials } from '../../domain/grant-ports.js';
import { AwsOperationError } from '../../domain/grant-ports.js';

/** The AWS federation endpoint (getSigninToken and login). */
export const DEFAULT_FEDERATION_URL = 'https://signin.aws.amazon.com/federation';
export const DEFAULT_CONSOLE_DESTINATION = 'https://console.aws.amazon.com/';

/** The part of `fetch` this adapter uses, so tests and other runtimes can inject their own. */
export type FetchLike = (
  url: string,
  init?: { method?: string; headers?: Record<string, string>; signal?: AbortSignal },
) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

export interface FederationConsoleOptions {
  /** Defaults to {@link DEFAULT_FEDERATION_URL}; a stand-in server in tests. */
  readonly federationUrl?: string;
  readonly destination?: string;
  /** Shown by the console as where the user came from. */
  readonly issuer?: string;
  readonly fetch?: FetchLike;
  readonly timeoutMs?: number;
}

const signinTokenReply = z.object({ SigninToken: z.string().min(1) });

/**
 * Console sign-in links through the federation endpoint: the session credentials are
 * exchanged for a sign-in token (valid 15 minutes), which goes into a `login` link. The
 * link is as good as the credentials: it is returned to the caller only, never logged.
 * No `SessionDuration` is sent: for AssumeRole credentials the console session follows the
 * credentials' own expiry (and the session policy ends it at the grant's end).
 */
export class FederationConsole implements ConsoleLinkMaker {
  private readonly federationUrl: string;
  private readonly destination: string;
  private readonly issuer: string;
  private readonly fetch: FetchLike;
  private readonly timeoutMs: number;

  constructor(options: FederationConsoleOptions = {}) {
    this.federationUrl = options.federationUrl ?? DEFAULT_FEDERATION_URL;
    this.destination = options.destination ?? DEFAULT_CONSOLE_DESTINATION;
    this.issuer = options.issuer ?? 'jit-access-broker';
    this.fetch = options.fetch ?? (globalThis.fetch as unknown as FetchLike);
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  async signInUrl(credentials: SessionCredentials): Promise<string> {
    const session = JSON.stringify({
      sessionId: credentials.accessKeyId,
      sessionKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
    });
    const tokenUrl = this.url({ Action: 'getSigninToken', Session: session });
    let reply;
    try {
      reply = await this.fetch(tokenUrl, { method: 'GET', signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      // The URL holds the credentials: name the endpoint only.
      throw new AwsOperationError('signin:getSigninToken', `no reply from ${this.federationUrl}`, {
        transient: true,
        cause: new Error((error as Error).name),
      });
    }
    if (!reply.ok) {
      throw new AwsOperationError('signin:getSigninToken', `HTTP ${reply.status}`, {
        transient: reply.status >= 500 || reply.status === 429,
      });
    }
    const parsed = signinTokenReply.safeParse(safeJson(await reply.text()));
    if (!parsed.success) {
      throw new AwsOperationError('signin:getSigninToken', 'the reply held no SigninToken', {
        transient: false,
      });
    }
    return this.url({
      Action: 'login',
      Issuer: this.issuer,
      Destination: this.destination,
      SigninToken: parsed.data.SigninToken,
    });
  }

  private url(params: Record<string, string>): string {
    const url = new URL(this.federationUrl);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return url.toString();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
