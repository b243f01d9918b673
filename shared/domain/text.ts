/**
 * Free text typed by people (reasons, tickets, notes) is stored, hashed into the audit
 * trail and later shown in Slack, terminals and spreadsheets. Characters that a terminal or
 * a renderer *interprets* instead of showing must never get that far: ANSI escapes recolour
 * or rewrite an auditor's terminal, BEL rings it, bidi overrides make `INC-1` read as
 * something else. This module says which characters those are, finds them and makes them
 * visible.
 *
 * Control characters here: C0 (U+0000–U+001F), DEL (U+007F), C1 (U+0080–U+009F), the
 * bidi marks, embeddings, overrides and isolates (U+061C, U+200E, U+200F, U+202A–U+202E,
 * U+2066–U+2069) and the Unicode line/paragraph separators (U+2028, U+2029).
 * Zero-width characters (U+200B–U+200D, U+FEFF) are left alone: they change nothing a
 * reader sees around them, and the zero-width joiner is part of ordinary emoji.
 */

const CONTROL_CLASS =
  '\\u0000-\\u001F\\u007F-\\u009F\\u061C\\u200E\\u200F\\u2028\\u2029\\u202A-\\u202E\\u2066-\\u2069';

/** Every control character (see the module comment), newline included. */
const CONTROL = new RegExp(`[${CONTROL_CLASS}]`);
const CONTROL_GLOBAL = new RegExp(`[${CONTROL_CLASS}]`, 'g');
/** Control characters other than the line feed (multi-line fields keep their newlines). */
const CONTROL_BUT_NEWLINE = new RegExp(
  `[${CONTROL_CLASS.replace('\\u0000-\\u001F', '\\u0000-\\u0009\\u000B-\\u001F')}]`,
);

/** `U+001B` for the escape character. */
export function codePointLabel(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * The first control character of `text`, or undefined when there is none. A multi-line
 * field (a reason typed in Slack's multi-line input) may contain line feeds; nothing else.
 */
export function findControlCharacter(
  text: string,
  options: { readonly multiline: boolean },
): string | undefined {
  return (options.multiline ? CONTROL_BUT_NEWLINE : CONTROL).exec(text)?.[0];
}

/**
 * Why the text `field` (e.g. "The reason") may not be stored, or undefined when it may:
 * the domain refuses control characters rather than silently changing what someone wrote.
 */
export function controlCharacterProblem(
  field: string,
  text: string,
  options: { readonly multiline: boolean },
): string | undefined {
  const found = findControlCharacter(text, options);
  if (found === undefined) return undefined;
  const allowed = options.multiline ? ' (line breaks are fine)' : '';
  return `${field} contains an invisible control character (${codePointLabel(found)}); remove it${allowed}.`;
}

/**
 * Makes every control character visible as a `\uXXXX` escape (newlines, tabs and carriage
 * returns too), so what reaches a terminal or a spreadsheet cell is plain printable text.
 * Output writers use it on everything they print, including events stored before the
 * domain refused such characters.
 */
export function escapeControlCharacters(text: string): string {
  return CONTROL.test(text)
    ? text.replace(CONTROL_GLOBAL, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`)
    : text;
}

/** Whether `text` contains any control character (newline included). */
export function hasControlCharacters(text: string): boolean {
  return CONTROL.test(text);
}
