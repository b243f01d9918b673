import { ConfigError } from '../../domain/errors.js';
import { COMMANDS } from './ids.js';

/**
 * The Slack app manifest the broker needs, generated from the code's own command ids, the
 * events its listeners subscribe to and the Web API methods it calls (with the minimal bot
 * scopes those methods need). `npm run slack:manifest` prints it; a test builds the real Bolt
 * app and drives its flows to prove nothing registered or called is missing here.
 */

/** Description and usage hint of each slash command, keyed like {@link COMMANDS}. */
export const SLACK_COMMAND_TEXT: Readonly<
  Record<
    keyof typeof COMMANDS,
    {
      readonly description: string;
      readonly usageHint?: string;
      /** Slack sends `@person` as `<@U…|name>` (should_escape) so the command gets a user id. */
      readonly escapeMentions?: boolean;
    }
  >
> = {
  requestAccess: { description: 'Ask for time-boxed AWS access', usageHint: '[target]' },
  breakGlass: { description: 'Emergency access, reviewed afterwards' },
  revokeAccess: {
    description: 'Security: end all of a person’s access now',
    usageHint: '@person [target]',
    escapeMentions: true,
  },
};

/** The Events API events the listeners subscribe to (`app.event(...)`). */
export const SLACK_BOT_EVENTS = ['app_home_opened'] as const;

/**
 * Bot-token scopes of each Web API method the broker calls, from Slack's method reference.
 * users.info needs users:read.email too because identity resolution reads the profile email.
 * The views.* methods need no scope (a trigger id or the app's own Home tab authorises them).
 */
export const SLACK_METHOD_SCOPES = {
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'users.info': ['users:read', 'users:read.email'],
  'usergroups.users.list': ['usergroups:read'],
  // The access review's charts (files.upload is retired: upload URL, then complete).
  'files.getUploadURLExternal': ['files:write'],
  'files.completeUploadExternal': ['files:write'],
  // The access review looks for its own earlier post (a public or a private security channel).
  'conversations.history': ['channels:history', 'groups:history'],
  'views.open': [],
  'views.update': [],
  'views.publish': [],
} as const satisfies Readonly<Record<string, readonly string[]>>;

/** A Web API method the broker calls with its bot token. */
export type SlackWebApiMethod = keyof typeof SLACK_METHOD_SCOPES;

/**
 * Methods called outside the broker's own code and needing no bot scope: Socket Mode's
 * connection (apps.connections.open, app-level token with connections:write, which is not a bot
 * scope). Bolt's token check (auth.test) is not called: the app gives Bolt its token as an
 * authorize answer (functions/slack/app.ts).
 */
export const SLACK_FRAMEWORK_METHODS = ['apps.connections.open'] as const;

/** The scope slash commands need. */
const COMMANDS_SCOPE = 'commands';

/** The minimal bot scopes: those of the methods called, plus `commands`. Sorted. */
export function slackBotScopes(): string[] {
  const scopes = new Set<string>([COMMANDS_SCOPE]);
  for (const needed of Object.values(SLACK_METHOD_SCOPES)) for (const scope of needed) scopes.add(scope);
  return [...scopes].sort();
}

export interface SlackManifestOptions {
  /** The app's display name in Slack. */
  readonly name?: string;
  /** HTTP mode: the Slack function's URL (the stack's SlackUrl output), https only. */
  readonly requestUrl?: string;
  /** Socket Mode (local runs against a real workspace): no request URLs. */
  readonly socketMode?: boolean;
}

export interface SlackSlashCommand {
  readonly command: string;
  readonly description: string;
  readonly usage_hint?: string;
  readonly should_escape: boolean;
  readonly url?: string;
}

/** The part of Slack's app manifest schema the broker fills in. */
export interface SlackAppManifest {
  readonly _metadata: { readonly major_version: 1; readonly minor_version: 1 };
  readonly display_information: { readonly name: string; readonly description: string };
  readonly features: {
    readonly app_home: {
      readonly home_tab_enabled: boolean;
      readonly messages_tab_enabled: boolean;
      readonly messages_tab_read_only_enabled: boolean;
    };
    readonly bot_user: { readonly display_name: string; readonly always_online: boolean };
    readonly slash_commands: readonly SlackSlashCommand[];
  };
  readonly oauth_config: { readonly scopes: { readonly bot: readonly string[] } };
  readonly settings: {
    readonly event_subscriptions: { readonly request_url?: string; readonly bot_events: readonly string[] };
    readonly interactivity: { readonly is_enabled: boolean; readonly request_url?: string };
    readonly org_deploy_enabled: boolean;
    readonly socket_mode_enabled: boolean;
    readonly token_rotation_enabled: boolean;
  };
}

const DEFAULT_NAME = 'JIT Access';

function checkedUrl(url: string | undefined): string {
  if (!url)
    throw new ConfigError('Give --url <SlackUrl> (the stack output), or --socket-mode for local use.');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new ConfigError(`--url: "${url}" is not a URL`, { cause });
  }
  // Why: Slack only sends requests (and the signing secret's HMACs) to https endpoints.
  if (parsed.protocol !== 'https:') throw new ConfigError(`--url: Slack only calls https URLs, not "${url}"`);
  return parsed.toString();
}

/**
 * The app manifest: HTTP mode with every request URL set to `requestUrl`, or Socket Mode
 * with none. Throws ConfigError when HTTP mode has no https URL or both modes are asked for.
 */
export function slackAppManifest(options: SlackManifestOptions): SlackAppManifest {
  if (options.socketMode && options.requestUrl) {
    throw new ConfigError('Choose one: --url (HTTP, the deployed stack) or --socket-mode (local).');
  }
  const url = options.socketMode ? undefined : checkedUrl(options.requestUrl);
  const withUrl = url === undefined ? {} : { request_url: url };
  const name = options.name ?? DEFAULT_NAME;
  const slashCommands = (Object.keys(COMMANDS) as (keyof typeof COMMANDS)[]).map((key) => ({
    command: COMMANDS[key],
    description: SLACK_COMMAND_TEXT[key].description,
    ...(SLACK_COMMAND_TEXT[key].usageHint ? { usage_hint: SLACK_COMMAND_TEXT[key].usageHint } : {}),
    should_escape: SLACK_COMMAND_TEXT[key].escapeMentions === true,
    ...(url === undefined ? {} : { url }),
  }));
  return {
    _metadata: { major_version: 1, minor_version: 1 },
    display_information: {
      name,
      description: 'Just-in-time AWS access: request, approve, time-boxed and audited.',
    },
    features: {
      // The Home tab lists a person's access; the Messages tab carries the broker's DMs (read only).
      app_home: { home_tab_enabled: true, messages_tab_enabled: true, messages_tab_read_only_enabled: true },
      bot_user: { display_name: name, always_online: true },
      slash_commands: slashCommands,
    },
    oauth_config: { scopes: { bot: slackBotScopes() } },
    settings: {
      event_subscriptions: { ...withUrl, bot_events: [...SLACK_BOT_EVENTS] },
      interactivity: { is_enabled: true, ...withUrl },
      org_deploy_enabled: false,
      socket_mode_enabled: options.socketMode === true,
      token_rotation_enabled: false,
    },
  };
}
