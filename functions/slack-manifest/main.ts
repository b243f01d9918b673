import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { slackAppManifest } from '../../shared/adapters/slack/manifest.js';
import { BrokerError } from '../../shared/domain/errors.js';

export const USAGE = `Usage:
  npm run slack:manifest -- --url <SlackUrl>   HTTP: the deployed stack's SlackUrl output
  npm run slack:manifest -- --socket-mode      Socket Mode: the local runner with SLACK_APP_TOKEN
Options:
  --name NAME   the app's name in Slack (default "JIT Access")

Prints the Slack app manifest (JSON) to paste into https://api.slack.com/apps → Create New App → From a manifest.`;

export interface ManifestCliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** `npm run slack:manifest`: prints the manifest; 0 on success, 2 on bad arguments. */
export function main(argv: readonly string[], io: ManifestCliIo): number {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        url: { type: 'string' },
        'socket-mode': { type: 'boolean' },
        name: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    const manifest = slackAppManifest({
      ...(values.url === undefined ? {} : { requestUrl: values.url }),
      ...(values['socket-mode'] ? { socketMode: true } : {}),
      ...(values.name === undefined ? {} : { name: values.name }),
    });
    io.out(JSON.stringify(manifest, null, 2));
    return 0;
  } catch (error) {
    const message =
      error instanceof BrokerError || error instanceof TypeError ? error.message : String(error);
    io.err(`${message}\n\n${USAGE}`);
    return 2;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = main(process.argv.slice(2), {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  });
}
