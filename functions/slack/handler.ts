import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { createSlackGrantQueue, loadSlackSettings } from '../../shared/adapters/slack/runtime.js';
import type { GrantQueue } from '../../shared/domain/ports.js';
import { createBaseWiring, listenerLogger, requestPorts, type BaseWiring } from '../wiring/base-wiring.js';
import { eventsOverSlackClient } from '../wiring/event-wiring.js';
import { createHandler } from './create-handler.js';
import { createIdentityCenterClients } from '../../shared/adapters/aws/clients.js';
import type { AccountDirectory } from '../../shared/domain/account-directory.js';
import { permissionSetAdapters } from '../../shared/targets/permission-set/adapters.js';
import { permissionSetAccountDirectory } from '../../shared/targets/permission-set/account-directory.js';

/**
 * The Slack front door in AWS: `/request-access`, approvals, break-glass and the App Home,
 * behind a function URL. Wired once per container, on the first request: DynamoDB, policy
 * and logger from the shared wiring, the SQS hand-off, the event subscribers (event-wiring.ts). The Slack secret is read then and
 * again every SLACK_SECRET_MAX_AGE_SECONDS (a rotation); the rest is built only once.
 */
const logger = new Logger({ serviceName: 'jit-slack' });
const appLogger = listenerLogger(logger);
let wired: { base: BaseWiring; queue: GrantQueue; accounts: AccountDirectory } | undefined;

export const handler = createHandler({
  load: async () => {
    wired ??= {
      base: createBaseWiring({ logger }),
      queue: createSlackGrantQueue(),
      // Read-only Organization and Identity Center lookups: the accounts picker and account names.
      accounts: permissionSetAccountDirectory(permissionSetAdapters(createIdentityCenterClients())),
    };
    const { base, queue, accounts } = wired;
    const settings = await loadSlackSettings();
    return {
      ...settings,
      logger: appLogger,
      deps: { ...requestPorts(base, queue, appLogger), accounts },
      events: eventsOverSlackClient(base, appLogger, accounts),
    };
  },
  middlewares: [injectLambdaContext(logger, { resetKeys: true })],
});
