import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { createSlackGrantQueue, loadSlackSettings } from '../../shared/adapters/slack/runtime.js';
import { createBaseWiring, useCaseLogger } from '../shared/wiring.js';
import { createHandler } from './create-handler.js';

/**
 * The Slack front door in AWS: `/request-access`, approvals, break-glass and the App Home,
 * behind a function URL. Wired once per container, on the first request: DynamoDB, policy
 * and logger from the shared wiring, the Slack secret from Secrets Manager, the SQS hand-off.
 */
const logger = new Logger({ serviceName: 'jit-slack' });

export const handler = createHandler({
  load: async () => {
    const base = createBaseWiring({ logger });
    const settings = await loadSlackSettings();
    const appLogger = {
      ...useCaseLogger(logger),
      error: (message: string, fields?: Record<string, unknown>) => logger.error(message, { ...fields }),
    };
    return {
      ...settings,
      logger: appLogger,
      deps: {
        store: base.store,
        audit: base.audit,
        policy: base.policy,
        clock: base.clock,
        ids: base.ids,
        queue: createSlackGrantQueue(),
        logger: appLogger,
      },
    };
  },
  middlewares: [injectLambdaContext(logger, { resetKeys: true })],
});
