/**
 * Slack's own request payloads, built as Slack sends them: slash commands (form fields),
 * interactions (`payload=` JSON) for block actions and view submissions. Used by whatever
 * plays Slack against the broker: the tests and the local demo.
 */

let triggerCounter = 0;

/** The body of a slash command, as Slack form-encodes it. */
export function commandBody(command: string, userId: string, text = ''): string {
  triggerCounter++;
  return new URLSearchParams({
    token: 'legacy',
    team_id: 'T0TEAM0001',
    team_domain: 'example',
    channel_id: 'C0GENERAL1',
    channel_name: 'general',
    user_id: userId,
    user_name: userId.toLowerCase(),
    command,
    text,
    api_app_id: 'A0APP00001',
    response_url: 'https://hooks.slack.invalid/commands/1',
    trigger_id: `trigger-${triggerCounter}`,
  }).toString();
}

/** The body of an interaction (`payload=` JSON, form-encoded). */
export function interactionBody(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

const team = { id: 'T0TEAM0001', domain: 'example' };

/** A block_actions payload: a click on a button (`value`) or a select. */
export function blockAction(
  userId: string,
  actionId: string,
  value: string,
  where: { channel?: string; ts?: string; view?: Record<string, unknown> } = {},
) {
  triggerCounter++;
  return {
    type: 'block_actions',
    team,
    user: { id: userId, username: userId.toLowerCase(), team_id: team.id },
    api_app_id: 'A0APP00001',
    token: 'legacy',
    trigger_id: `trigger-${triggerCounter}`,
    response_url: 'https://hooks.slack.invalid/actions/1',
    container: where.view
      ? { type: 'view', view_id: where.view.id }
      : { type: 'message', message_ts: where.ts },
    ...(where.channel ? { channel: { id: where.channel, name: 'approvals' } } : {}),
    ...(where.ts ? { message: { type: 'message', ts: where.ts, text: '' } } : {}),
    ...(where.view ? { view: where.view } : {}),
    actions: [{ type: 'button', action_id: actionId, block_id: 'b', value, action_ts: '1' }],
  };
}

/** Input values of a modal, by block id then action id, as Slack reports them. */
export type StateValues = Record<string, Record<string, Record<string, unknown>>>;

export function textState(block: string, action: string, value: string | null): StateValues {
  return { [block]: { [action]: { type: 'plain_text_input', value } } };
}

export function selectState(block: string, action: string, value: string): StateValues {
  return {
    [block]: {
      [action]: {
        type: 'static_select',
        selected_option: { value, text: { type: 'plain_text', text: value } },
      },
    },
  };
}

/** A multi_static_select with `values` picked. */
export function multiSelectState(block: string, action: string, values: readonly string[]): StateValues {
  return {
    [block]: {
      [action]: {
        type: 'multi_static_select',
        selected_options: values.map((value) => ({ value, text: { type: 'plain_text', text: value } })),
      },
    },
  };
}

/** A view_submission payload for modal `callbackId`, with `blocks` naming the inputs it shows. */
export function viewSubmission(
  userId: string,
  callbackId: string,
  values: StateValues,
  options: { viewId?: string; privateMetadata?: string } = {},
) {
  triggerCounter++;
  return {
    type: 'view_submission',
    team,
    user: { id: userId, username: userId.toLowerCase(), team_id: team.id },
    api_app_id: 'A0APP00001',
    token: 'legacy',
    trigger_id: `trigger-${triggerCounter}`,
    view: {
      id: options.viewId ?? `V0VIEW${String(triggerCounter).padStart(4, '0')}`,
      team_id: team.id,
      type: 'modal',
      callback_id: callbackId,
      private_metadata: options.privateMetadata ?? '{}',
      hash: 'h1',
      blocks: Object.keys(values).map((block_id) => ({ type: 'input', block_id })),
      state: { values },
      app_id: 'A0APP00001',
      bot_id: 'B0BOT00001',
      title: { type: 'plain_text', text: 'x' },
    },
  };
}
