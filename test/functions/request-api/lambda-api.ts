import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { localRequestApi } from '../../../functions/local/request-api-gate.js';
import { createRequestApiHandler, requestApiDepsOf } from '../../../functions/request-api/handler.js';
import { createBaseWiring } from '../../../functions/wiring/base-wiring.js';
import { createGrantWiring } from '../../../functions/wiring/grant-wiring.js';
import type { AccessPolicy } from '../../../shared/domain/policy.js';
import { RecordingQueue, SequentialIds } from '../../support/fakes.js';
import { KNOWN_KEYS } from '../../support/request-api.js';
import type { useSlackHandler } from '../slack/harness.js';

/**
 * The request API as deployed: Lambda's grant wiring and env over the harness's tables, its
 * Slack client aimed at the harness's stand-in, behind the local SigV4 gate.
 */
export function requestApiOverLambdaWiring(h: ReturnType<typeof useSlackHandler>, policy: AccessPolicy) {
  /** The hand-off to the grant worker: the jobs the API queued. */
  const queue = new RecordingQueue();
  const wiring = createGrantWiring({
    base: createBaseWiring({
      env: {
        REQUESTS_TABLE_NAME: h.db().names.requests,
        AUDIT_TABLE_NAME: h.db().names.audit,
        AWS_REGION: 'us-east-1',
        SLACK_BOT_TOKEN: 'xoxb-test',
        SLACK_API_URL: h.slack.url,
      },
      doc: h.db().doc,
      policy,
      clock: h.clock(),
      ids: new SequentialIds('api-'),
      logger: new Logger({ logLevel: 'SILENT' }),
    }),
    handOff: queue,
  });
  const gate = localRequestApi({
    handler: createRequestApiHandler(requestApiDepsOf(wiring)),
    keys: KNOWN_KEYS,
    clock: { now: () => new Date() },
    context: () => ({}) as Context,
    prefix: '/api',
  });
  return { gate, wiring, queue };
}
