import type * as z from 'zod';
import { errorResponse } from '../../shared/api/console-schema.js';

/**
 * The console's API client. The bearer token lives in this module's memory only: never in
 * localStorage, a cookie or a URL, so a reload signs out and nothing outlives the tab.
 */
let token: string | undefined;
let apiBase = '/console/api';
let onSignedOut: (() => void) | undefined;

export function configure(base: string, signedOut: () => void): void {
  apiBase = base;
  onSignedOut = signedOut;
}

export function setToken(value: string | undefined): void {
  token = value;
}

export function signedIn(): boolean {
  return token !== undefined;
}

/** A failed call: the HTTP status and the server's message (safe to show). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

async function raw(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${apiBase}${path}`, {
    method,
    headers,
    credentials: 'omit',
    cache: 'no-store',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.status === 401 && path !== '/dev/sign-in') {
    token = undefined;
    onSignedOut?.();
  }
  return response;
}

/**
 * Calls the API and parses the answer with the shared schema (the server's own), so a drift
 * between the two shows as an error here rather than as wrong data on screen. `accept` lists
 * non-2xx statuses whose body is still an answer of `schema` (a refused form is 422).
 */
export async function call<S extends z.ZodType>(
  schema: S,
  method: string,
  path: string,
  body?: unknown,
  accept: readonly number[] = [],
): Promise<z.infer<S>> {
  const response = await raw(method, path, body);
  const data: unknown = await response.json().catch(() => undefined);
  if (!response.ok && !accept.includes(response.status)) {
    const parsed = errorResponse.safeParse(data);
    throw new ApiError(
      response.status,
      parsed.success ? parsed.data.message : `HTTP ${response.status}`,
      data,
    );
  }
  return schema.parse(data);
}

/**
 * Downloads an export with the token in its header (never in the URL): the streamed body is
 * read into a Blob and saved through a temporary object URL.
 */
export async function download(path: string, filename: string): Promise<void> {
  const response = await raw('GET', path);
  if (!response.ok) {
    const parsed = errorResponse.safeParse(await response.json().catch(() => undefined));
    throw new ApiError(response.status, parsed.success ? parsed.data.message : `HTTP ${response.status}`);
  }
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A fresh idempotency key for a form (128 random bits, URL-safe). */
export function newIdempotencyKey(): string {
  return crypto.randomUUID().replaceAll('-', '');
}

/** Query string of a filter, without empty values. */
export function queryOf(filter: Readonly<Record<string, string | undefined>>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) if (value) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** "1h 5m" for a number of seconds. */
export function humanDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}
