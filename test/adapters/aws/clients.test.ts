import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { ListGroupsCommand } from '@aws-sdk/client-iam';
import { afterEach, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/adapters/aws/clients.js';

let server: Server | undefined;
const saved = { ...process.env };
afterEach(async () => {
  process.env = { ...saved };
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A local endpoint answering every query-protocol call with `xml`, recording the paths. */
async function endpoint(xml: string) {
  const hits: string[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hits.push(new URLSearchParams(body).get('Action') ?? '');
      res.writeHead(200, { 'content-type': 'text/xml' }).end(xml);
    });
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
  return { hits, url: `http://127.0.0.1:${(server?.address() as AddressInfo).port}` };
}

const env = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };

describe('createAwsClients', () => {
  it('honours AWS_ENDPOINT_URL_STS', async () => {
    const { hits, url } = await endpoint(
      '<GetCallerIdentityResponse><GetCallerIdentityResult><Account>111122223333</Account></GetCallerIdentityResult></GetCallerIdentityResponse>',
    );
    process.env = { ...saved, ...env, AWS_ENDPOINT_URL_STS: url };
    const { sts } = createAwsClients({ maxAttempts: 1 });
    const out = await sts.send(new GetCallerIdentityCommand({}));
    expect(out.Account).toBe('111122223333');
    expect(hits).toEqual(['GetCallerIdentity']);
  });

  it('honours the general AWS_ENDPOINT_URL for IAM', async () => {
    const { hits, url } = await endpoint(
      '<ListGroupsResponse><ListGroupsResult><Groups/><IsTruncated>false</IsTruncated></ListGroupsResult></ListGroupsResponse>',
    );
    process.env = { ...saved, ...env, AWS_ENDPOINT_URL: url };
    const { iam } = createAwsClients({ maxAttempts: 1 });
    await iam.send(new ListGroupsCommand({}));
    expect(hits).toEqual(['ListGroups']);
  });
});
