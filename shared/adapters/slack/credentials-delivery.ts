import type { webApi } from '@slack/bolt';
import type { CredentialsDelivery, GrantJob, IssuedCredentials } from '../../domain/ports.js';
import type { AccessRequest } from '../../domain/request.js';
import { credentialsFailureModal, credentialsModal } from './views/modals.js';

type IssueJob = Extract<GrantJob, { kind: 'issue-credentials' }>;

/**
 * Fills the "Get credentials" modal that the Slack function opened (views.update on the job's
 * view id). Used by the grant worker. The credentials go only into that private modal: they
 * are never posted to a channel, stored or logged (errors carry no request body).
 */
export class SlackCredentialsDelivery implements CredentialsDelivery {
  constructor(private readonly client: webApi.WebClient) {}

  async deliver(job: IssueJob, grant: AccessRequest, credentials: IssuedCredentials): Promise<void> {
    await this.client.views.update({ view_id: job.viewId, view: credentialsModal(grant, credentials) });
  }

  async deliverFailure(job: IssueJob, message: string): Promise<void> {
    await this.client.views.update({ view_id: job.viewId, view: credentialsFailureModal(message) });
  }
}
