import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * Builds the web console (Preact, bundled by esbuild) into a handful of static files: the page,
 * one script and one stylesheet. Nothing inline, so the strict Content-Security-Policy below
 * holds. The local runner serves them from memory; the CDK stack uploads them to S3.
 */

const here = dirname(fileURLToPath(import.meta.url));

/** One built file: its path under the console's root, media type and content. */
export interface ConsoleAsset {
  readonly contentType: string;
  readonly body: Buffer;
}

/**
 * The console's Content-Security-Policy: scripts, styles and API calls from its own origin
 * only (plus `connectOrigins`: the OIDC issuer's discovery and token endpoint origins the page
 * signs in through), no inline code, no framing, no plugins, no form posts elsewhere. Why: a
 * bearer token lives in the page's memory; an injected script would be the way to steal it.
 */
export function consoleCsp(...connectOrigins: readonly (string | undefined)[]): string {
  const extra = [...new Set(connectOrigins.filter((o): o is string => o !== undefined && o !== ''))];
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    ['connect-src', "'self'", ...extra].join(' '),
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Security headers every console response carries (assets and API alike). */
export function consoleSecurityHeaders(
  ...connectOrigins: readonly (string | undefined)[]
): Record<string, string> {
  return {
    'Content-Security-Policy': consoleCsp(...connectOrigins),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
  };
}

const INDEX_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>JIT access console</title>
    <link rel="stylesheet" href="app.css" />
    <script type="module" src="app.js"></script>
  </head>
  <body>
    <div id="app"><p>Loading the access console…</p></div>
  </body>
</html>
`;

/**
 * Builds the console's code: the page, its script and stylesheet, without `config.json` (the
 * deployed console gets its own from the stack, with values known only at deploy time).
 */
export async function buildConsoleBundle(
  options: { readonly minify?: boolean } = {},
): Promise<Map<string, ConsoleAsset>> {
  const result = await build({
    entryPoints: [join(here, 'src', 'main.tsx')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: options.minify ?? true,
    sourcemap: false,
    write: false,
    outdir: 'out',
    entryNames: 'app',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const assets = new Map<string, ConsoleAsset>();
  for (const file of result.outputFiles) {
    const name = file.path.endsWith('.css') ? 'app.css' : 'app.js';
    assets.set(name, {
      contentType: name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
      body: Buffer.from(file.contents),
    });
  }
  assets.set('index.html', { contentType: 'text/html; charset=utf-8', body: Buffer.from(INDEX_HTML) });
  return assets;
}

/** Builds the console with `config` as its `config.json` (the API's base URL, the sign-in mode). */
export async function buildConsoleAssets(
  options: { readonly minify?: boolean; readonly config?: Record<string, unknown> } = {},
): Promise<Map<string, ConsoleAsset>> {
  const assets = await buildConsoleBundle(options.minify === undefined ? {} : { minify: options.minify });
  assets.set('config.json', {
    contentType: 'application/json',
    body: Buffer.from(JSON.stringify(options.config ?? { apiBase: '/console/api', signIn: 'dev' })),
  });
  return assets;
}

/**
 * Writes the built console to `dir` (for the CDK asset): page, script and stylesheet only;
 * the stack deploys `config.json` beside them (infra/constructs/web-console.ts).
 */
export async function writeConsoleAssets(dir: string): Promise<void> {
  const assets = await buildConsoleBundle();
  await mkdir(dir, { recursive: true });
  for (const [name, asset] of assets) await writeFile(join(dir, name), asset.body);
}
