/**
 * Source-mapped stack traces for the Lambda bundles, read when a stack is first formatted
 * rather than at every cold start. Injected at the top of every bundle (infra/bundling.ts).
 *
 * Why not `--enable-source-maps`: with it, Node reads and parses the bundle's map while it
 * loads the bundle (about 30 ms of the Slack function's cold start for a 1.1 MB map), although
 * most invocations never print a stack. Here the map is read once, when the first stack of a
 * frame in the bundle is formatted, with Node's own SourceMap; every other frame, and every
 * frame when the map cannot be read, is printed exactly as V8 prints it.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath, URL } from 'node:url';

const bundleUrl = import.meta.url;
const bundlePath = fileURLToPath(bundleUrl);

/** The bundle's map: undefined until first needed, null if it cannot be read. */
let map;

function sourceMap() {
  if (map === undefined) {
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${bundlePath}.map`, 'utf8')));
    } catch {
      map = null;
    }
  }
  return map;
}

/** `file:line:column` in the bundle, as V8 prints it, for this frame's place in the sources. */
function mapFrame(text, callSite) {
  const file = callSite.getFileName();
  if (file !== bundleUrl && file !== bundlePath) return text;
  const line = callSite.getLineNumber();
  const column = callSite.getColumnNumber();
  if (line === null || column === null) return text;
  const entry = sourceMap()?.findEntry(line - 1, column - 1);
  if (!entry || entry.originalSource === undefined) return text;
  // Sources are named relative to the map (beside the bundle), as Node resolves them.
  const source = fileURLToPath(new URL(entry.originalSource, bundleUrl));
  return text.replace(
    `${file}:${line}:${column}`,
    `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`,
  );
}

/** V8's own format (the error's `toString`, then one `    at …` line per frame), mapped. */
function prepareStackTrace(error, callSites) {
  let header;
  try {
    header = Error.prototype.toString.call(error);
  } catch {
    header = '<error>';
  }
  const frames = callSites.map((callSite) => {
    const text = String(callSite);
    try {
      return mapFrame(text, callSite);
    } catch {
      return text;
    }
  });
  return [header, ...frames].join('\n    at ');
}

// Node installs its own (which maps only with --enable-source-maps); the function owns its process.
Error.prepareStackTrace = prepareStackTrace;
