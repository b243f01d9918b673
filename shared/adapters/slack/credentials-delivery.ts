import type { webApi } from '@slack/bolt';
import type { CredentialsDelivery, GrantJob, IssuedCredentials } from '../../domain/ports.js';
import type { AccessRequest } from '../../domain/request.js';
import { ACTIONS } from './ids.js';
import { slackViewOf } from './reply-to.js';
import type { ModalView } from './views/blocks.js';
import { credentialsFailureModal, credentialsModal } from './views/modals.js';

type IssueJob = Extract<GrantJob, { kind: 'issue-credentials' }>;
type Block = ModalView['blocks'][number];

/**
 * Fills the "Get credentials" modal that the Slack function opened (views.update on the view
 * its job's `replyTo` names). Used by the grant worker. The credentials go only into that private modal: they
 * are never posted to a channel, stored or logged (errors carry no request body).
 * Without a console link (the federation endpoint failed) the CLI lines still go out, with
 * a "console link unavailable" note where the button would be.
 */
export class SlackCredentialsDelivery implements CredentialsDelivery {
  constructor(private readonly client: webApi.WebClient) {}

  async deliver(job: IssueJob, grant: AccessRequest, credentials: IssuedCredentials): Promise<void> {
    const view = credentialsModal(grant, credentials);
    await this.client.views.update({
      view_id: slackViewOf(job.replyTo),
      view:
        credentials.consoleUrl === undefined
          ? withoutConsoleButton(view, credentials.consoleLinkError ?? 'no link was made.')
          : view,
    });
  }

  async deliverFailure(job: IssueJob, message: string): Promise<void> {
    await this.client.views.update({
      view_id: slackViewOf(job.replyTo),
      view: credentialsFailureModal(message),
    });
  }
}

/** Replaces the "Open the AWS console" button (which would have no URL) with a note. */
function withoutConsoleButton(view: ModalView, reason: string): ModalView {
  const note: Block = {
    type: 'section',
    text: { type: 'plain_text', text: `⚠️ Console link unavailable: ${reason}` },
  };
  return { ...view, blocks: view.blocks.map((block) => (isConsoleButton(block) ? note : block)) };
}

function isConsoleButton(block: Block): boolean {
  return (
    block.type === 'actions' &&
    'elements' in block &&
    block.elements.some((e) => 'action_id' in e && e.action_id === ACTIONS.openConsole)
  );
}
