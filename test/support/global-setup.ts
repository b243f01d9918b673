import type { TestProject } from 'vitest/node';
import { startLocalDynamo, type LocalDynamo } from '../../shared/adapters/dynamodb/local-server.js';

let dynamo: LocalDynamo | undefined;

/** One DynamoDB Local for the whole run, on a free port; each test makes its own tables. */
export async function setup(project: TestProject): Promise<void> {
  dynamo = await startLocalDynamo();
  project.provide('dynamoEndpoint', dynamo.endpoint);
}

export async function teardown(): Promise<void> {
  await dynamo?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}
