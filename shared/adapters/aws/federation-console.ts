import * as z from 'zod';
import type { ConsoleLinkMaker, SessionCredentials } from '../../domain/grant-ports.js';
import { AwsOperationError } from '../../domain/grant-ports.js';
import { consoleEndpoints, type Partition } from '../../domain/partition.js';

/** The federation endpoint (getSigninToken and login) and console home of the commercial partition. */
export const DEFAULT_FEDERATION_URL = consoleEndpoints('aws').federationUrl;
export const DEFAULT_CONSOLE_DESTINATION = consoleEndpoints('aws').destination;

/** The part of `fetch` this adapter uses, so tests and other runtimes can inject their own. */
export type FetchLike = (
  url: string,
  init?: { method?: string; headers?: Record<string, string>; signal?: AbortSignal },
) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

export interface FederationConsoleOptions {
  /**
   * Fixed endpoint (a stand-in server in tests, FEDERATION_URL); by default the session's
   * partition's own (signin.aws.amazon.com, signin.amazonaws-us-gov.com, signin.amazonaws.cn).
   */
  readonly federationUrl?: string;
  /** Fixed console destination (CONSOLE_DESTINATION_URL); by default the partition's console home. */
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
  private readonly federationUrl?: string;
  private readonly destination?: string;
  private readonly issuer: string;
  private readonly fetch: FetchLike;
  private readonly timeoutMs: number;

  constructor(options: FederationConsoleOptions = {}) {
    if (options.federationUrl !== undefined) this.federationUrl = options.federationUrl;
    if (options.destination !== undefined) this.destination = options.destination;
    this.issuer = options.issuer ?? 'jit-access-broker';
    this.fetch = options.fetch ?? (globalThis.fetch as unknown as FetchLike);
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  async signInUrl(
    credentials: SessionCredentials,
    options: { readonly partition?: Partition } = {},
  ): Promise<string> {
    const hosts = consoleEndpoints(options.partition ?? 'aws');
    const federationUrl = this.federationUrl ?? hosts.federationUrl;
    const session = JSON.stringify({
      sessionId: credentials.accessKeyId,
      sessionKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
    });
    const tokenUrl = federationQuery(federationUrl, { Action: 'getSigninToken', Session: session });
    let reply;
    try {
      reply = await this.fetch(tokenUrl, { method: 'GET', signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      // The URL holds the credentials: name the endpoint only.
      throw new AwsOperationError('signin:getSigninToken', `no reply from ${federationUrl}`, {
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
    return federationQuery(federationUrl, {
      Action: 'login',
      Issuer: this.issuer,
      Destination: this.destination ?? hosts.destination,
      SigninToken: parsed.data.SigninToken,
    });
  }
}

function federationQuery(federationUrl: string, params: Record<string, string>): string {
  const url = new URL(federationUrl);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
