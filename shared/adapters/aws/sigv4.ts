import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
  Checksum,
  SourceData,
} from '@smithy/types';

/**
 * SigV4 for the request API, both ends: the `jit` CLI signs its calls with the caller's normal
 * AWS credentials (the SDK's default provider chain: environment, profile, SSO, web identity,
 * instance role...), and the local runner verifies them by recomputing the signature with the
 * secret it knows for the access key (in AWS, the function URL's AWS_IAM auth does that).
 */

/** SHA-256 (and HMAC-SHA-256 with a secret) over node:crypto, as SignatureV4 wants it. */
class NodeSha256 implements Checksum {
  private hash;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  private fresh() {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(this.secret));
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** The service a function URL is signed for. */
export const FUNCTION_URL_SERVICE = 'lambda';

/** The region of a Lambda function URL (`<id>.lambda-url.<region>.on.aws`), if the host is one. */
export function regionOfFunctionUrl(url: URL): string | undefined {
  return /^[^.]+\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(url.hostname)?.[1];
}

/** An HTTP request to sign or verify; `path` includes the query string. */
export interface SignableRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

function httpRequestOf(request: SignableRequest, headers: Record<string, string>) {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of request.url.searchParams) {
    const existing = query[key];
    query[key] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return {
    method: request.method.toUpperCase(),
    protocol: request.url.protocol,
    hostname: request.url.hostname,
    ...(request.url.port ? { port: Number(request.url.port) } : {}),
    path: request.url.pathname,
    query,
    headers,
    ...(request.body === undefined ? {} : { body: request.body }),
  };
}

/** The caller's credentials from the SDK's default chain (honours AWS_PROFILE, SSO, env...). */
export function defaultCredentials(): AwsCredentialIdentityProvider {
  return defaultProvider();
}

/** Signs `request` for `region`; returns the headers to send (Authorization, X-Amz-Date...). */
export async function signRequest(
  request: SignableRequest,
  options: {
    readonly region: string;
    readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  },
): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: options.region,
    service: FUNCTION_URL_SERVICE,
    sha256: NodeSha256,
  });
  const headers = { ...request.headers, host: request.url.host };
  const signed = await signer.sign(httpRequestOf(request, headers));
  return signed.headers;
}

/** A key the verifier knows: its secret and the principal it belongs to. */
export interface KnownKey {
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly principalArn: string;
}

export type SignatureCheck =
  | { readonly ok: true; readonly principalArn: string; readonly accessKeyId: string }
  | { readonly ok: false; readonly reason: string };

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([A-Z0-9]{16,128})\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
/** How far a request's X-Amz-Date may be from now (AWS allows five minutes). */
const MAX_SKEW_MS = 5 * 60 * 1000;

function parseAmzDate(text: string | undefined): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text ?? '');
  return m ? new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`) : undefined;
}

/**
 * Verifies a SigV4-signed request as AWS does for a function URL with AWS_IAM auth: the
 * signature is recomputed over the signed headers, path, query and body with the secret of
 * the access key, and compared in constant time; the date must be within five minutes of `now`.
 * `headers` are lower-cased names.
 */
export async function verifySignature(
  request: SignableRequest,
  keys: (accessKeyId: string) => KnownKey | undefined,
  now: Date,
): Promise<SignatureCheck> {
  const m = AUTHORIZATION.exec(request.headers['authorization'] ?? '');
  if (!m) return { ok: false, reason: 'missing or malformed SigV4 Authorization header' };
  const [, accessKeyId = '', day, region = '', service, signedHeaderList = '', signature = ''] = m;
  if (service !== FUNCTION_URL_SERVICE) return { ok: false, reason: `signed for ${service}, not lambda` };
  const key = keys(accessKeyId);
  if (!key) return { ok: false, reason: 'unknown access key' };
  const date = parseAmzDate(request.headers['x-amz-date']);
  if (!date || request.headers['x-amz-date']?.slice(0, 8) !== day)
    return { ok: false, reason: 'bad X-Amz-Date' };
  // Why: a captured request must not be replayable later.
  if (Math.abs(date.getTime() - now.getTime()) > MAX_SKEW_MS)
    return { ok: false, reason: 'request too old or in the future' };
  if ((request.headers['x-amz-security-token'] ?? undefined) !== key.sessionToken) {
    return { ok: false, reason: 'security token does not match the key' };
  }
  const signedHeaders = signedHeaderList.split(';');
  if (!signedHeaders.includes('host')) return { ok: false, reason: 'host is not signed' };
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = request.headers[name];
    if (value === undefined) return { ok: false, reason: `signed header ${name} is missing` };
    headers[name] = value;
  }
  // Why: an unsigned body could be swapped; the signer's payload hash header must match the body.
  const bodyHash = createHash('sha256')
    .update(request.body ?? '')
    .digest('hex');
  const claimed = headers['x-amz-content-sha256'];
  if (claimed !== undefined && claimed !== bodyHash)
    return { ok: false, reason: 'body does not match its hash' };
  const signer = new SignatureV4({
    credentials: {
      accessKeyId,
      secretAccessKey: key.secretAccessKey,
      ...(key.sessionToken === undefined ? {} : { sessionToken: key.sessionToken }),
    },
    region,
    service: FUNCTION_URL_SERVICE,
    sha256: NodeSha256,
  });
  const recomputed = await signer.sign(httpRequestOf(request, headers), {
    signingDate: date,
    signableHeaders: new Set(signedHeaders),
  });
  const expected = /Signature=([0-9a-f]{64})/.exec(recomputed.headers['authorization'] ?? '')?.[1] ?? '';
  const same =
    expected.length === signature.length && timingSafeEqual(Buffer.from(expected), Buffer.from(signature));
  return same
    ? { ok: true, principalArn: key.principalArn, accessKeyId }
    : { ok: false, reason: 'signature does not match' };
}
