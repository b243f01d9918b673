import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A CloudTrail stand-in for the tests: one node:http server on 127.0.0.1 speaking CloudTrail's
 * AWS JSON 1.1 protocol (`X-Amz-Target: CloudTrail_20131101.LookupEvents`, as the SDK sends it, or the
 * long `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents` of the API reference),
 * reached by the real SDK client through `AWS_ENDPOINT_URL_CLOUDTRAIL` (see {@link CloudTrailStandIn.env}).
 *
 * It answers LookupEvents from {@link CloudTrailStandIn.events} filtered as CloudTrail does
 * (the `Username` lookup attribute, `StartTime` ≤ EventTime < `EndTime`), `pageSize` events a
 * page with an opaque `NextToken`, and records every request as sent. Faults apply to the next
 * calls, in order: `throttle` (400 ThrottlingException), `server-error` (500), `hang` (never
 * answered; the connection stays open until the client gives up or the stand-in closes).
 */
export const LOOKUP_EVENTS_TARGET = 'CloudTrail_20131101.LookupEvents';

/** The long form of the target, as CloudTrail's API reference writes it (also accepted by AWS). */
export const LOOKUP_EVENTS_TARGET_LONG = `com.amazonaws.cloudtrail.v20131101.${LOOKUP_EVENTS_TARGET}`;

/** One event CloudTrail holds: the lookup fields and the full record. */
export interface StandInTrailEvent {
  readonly username: string;
  readonly eventTime: string;
  readonly eventSource: string;
  readonly eventName: string;
  readonly readOnly?: boolean;
  readonly errorCode?: string;
  readonly sourceIdentity?: string;
}

export type TrailFault = 'throttle' | 'server-error' | 'hang';

/** One request as the stand-in received it. */
export interface TrailRequest {
  readonly target: string;
  readonly contentType: string;
  readonly body: Record<string, unknown>;
  readonly fault?: TrailFault;
}

export interface CloudTrailStandIn {
  readonly url: string;
  /** The SDK variables pointing the CloudTrail client here, with static test credentials. */
  readonly env: Readonly<Record<string, string>>;
  readonly events: StandInTrailEvent[];
  readonly requests: TrailRequest[];
  /** Faults of the next calls, taken in order. */
  readonly faults: TrailFault[];
  /** Events per page (CloudTrail's own is up to MaxResults, 50). */
  pageSize: number;
  close(): Promise<void>;
}

/** Starts a stand-in on 127.0.0.1 and a free port. */
export async function startCloudTrailStandIn(): Promise<CloudTrailStandIn> {
  const hanging = new Set<ServerResponse>();
  const standIn = {
    events: [] as StandInTrailEvent[],
    requests: [] as TrailRequest[],
    faults: [] as TrailFault[],
    pageSize: 50,
  };

  const answer = (req: IncomingMessage, res: ServerResponse, text: string) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    const fault = standIn.faults.shift();
    standIn.requests.push({
      target,
      contentType: String(req.headers['content-type'] ?? ''),
      body,
      ...(fault ? { fault } : {}),
    });
    if (fault === 'hang') {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    if (fault === 'throttle') return error(res, 400, 'ThrottlingException', 'Rate exceeded');
    if (fault === 'server-error') return error(res, 500, 'InternalFailure', 'stand-in: injected 5xx');
    if (target !== LOOKUP_EVENTS_TARGET && target !== LOOKUP_EVENTS_TARGET_LONG)
      return error(res, 400, 'UnknownOperationException', target);
    const attributes = (body.LookupAttributes ?? []) as { AttributeKey: string; AttributeValue: string }[];
    const username = attributes.find((a) => a.AttributeKey === 'Username')?.AttributeValue;
    // JSON 1.1 sends timestamps as epoch seconds.
    const from = Number(body.StartTime) * 1000;
    const to = Number(body.EndTime) * 1000;
    const matching = standIn.events
      .filter((e) => e.username === username)
      .filter((e) => Date.parse(e.eventTime) >= from && Date.parse(e.eventTime) < to)
      .sort((a, b) => (a.eventTime < b.eventTime ? 1 : -1));
    const start = body.NextToken === undefined ? 0 : Number(String(body.NextToken).replace('page-', ''));
    const size = Math.min(standIn.pageSize, Number(body.MaxResults ?? 50));
    const page = matching.slice(start, start + size);
    const next = start + size < matching.length ? `page-${start + size}` : undefined;
    json(res, 200, {
      Events: page.map((e) => ({
        EventId: randomUUID(),
        EventName: e.eventName,
        EventSource: e.eventSource,
        EventTime: Date.parse(e.eventTime) / 1000,
        ReadOnly: String(e.readOnly ?? false),
        Username: e.username,
        CloudTrailEvent: JSON.stringify({
          eventTime: e.eventTime,
          eventSource: e.eventSource,
          eventName: e.eventName,
          ...(e.readOnly === undefined ? {} : { readOnly: e.readOnly }),
          ...(e.errorCode === undefined ? {} : { errorCode: e.errorCode }),
          userIdentity: {
            type: 'AssumedRole',
            ...(e.sourceIdentity === undefined
              ? {}
              : { sessionContext: { sourceIdentity: e.sourceIdentity } }),
          },
        }),
      })),
      ...(next ? { NextToken: next } : {}),
    });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => answer(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(standIn, {
    url,
    env: {
      AWS_ENDPOINT_URL_CLOUDTRAIL: url,
      AWS_ACCESS_KEY_ID: 'TESTKEYSTANDIN',
      AWS_SECRET_ACCESS_KEY: 'stand-in-test-secret',
      AWS_REGION: 'eu-west-1',
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res
    .writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() })
    .end(JSON.stringify(body));
}

function error(res: ServerResponse, status: number, code: string, message: string): void {
  json(res, status, { __type: code, message });
}
