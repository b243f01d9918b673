import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { DynamoHealthProbe } from '../../../../shared/adapters/dynamodb/health.js';
import {
  freePort,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
} from '../../../../shared/adapters/dynamodb/local-server.js';
import { useLocalTables } from '../../../support/local-dynamo.js';

const db = useLocalTables();

describe('the DynamoDB health probe', () => {
  const clients: DynamoDBClient[] = [];
  afterAll(() => clients.forEach((c) => c.destroy()));

  it('says ok when the table answers', async () => {
    expect(await new DynamoHealthProbe(db().client, db().names.requests).check()).toEqual({ status: 'ok' });
  });

  it('says down, with the reason, when the table is missing', async () => {
    const health = await new DynamoHealthProbe(db().client, `missing-${randomUUID()}`).check();
    expect(health).toMatchObject({ status: 'down' });
  });

  it('says down within its deadline when nothing listens', async () => {
    const client = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${await freePort()}`,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    clients.push(client);
    expect(await new DynamoHealthProbe(client, 'requests').check(500)).toMatchObject({ status: 'down' });
  });
});
