import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  controlCharacterProblem,
  escapeControlCharacters,
  findControlCharacter,
  hasControlCharacters,
} from '../../shared/domain/text.js';

describe('control characters in free text', () => {
  it.each([
    { description: 'an ANSI escape', text: 'a\u001b[31mb', found: '\u001b' },
    { description: 'a bell', text: 'ring\u0007', found: '\u0007' },
    { description: 'DEL', text: 'x\u007f', found: '\u007f' },
    { description: 'a C1 control (CSI)', text: 'x\u009b2J', found: '\u009b' },
    { description: 'a right-to-left override', text: 'INC-1\u202E', found: '\u202E' },
    { description: 'a bidi isolate', text: '\u2066INC', found: '\u2066' },
    { description: 'a right-to-left mark', text: 'a\u200Fb', found: '\u200F' },
    { description: 'a Unicode line separator', text: 'a\u2028b', found: '\u2028' },
    { description: 'a carriage return', text: 'a\rb', found: '\r' },
    { description: 'a tab', text: 'a\tb', found: '\t' },
    { description: 'nothing in plain text', text: 'Fix INC-7: café ☕ 👩‍💻', found: undefined },
    { description: 'nothing in a zero-width joiner (emoji)', text: '👩\u200D💻', found: undefined },
  ])('finds $description in a multi-line field', ({ text, found }) => {
    expect(findControlCharacter(text, { multiline: true })).toBe(found);
  });

  it('allows line feeds only in multi-line fields', () => {
    expect(findControlCharacter('line one\nline two', { multiline: true })).toBeUndefined();
    expect(findControlCharacter('line one\nline two', { multiline: false })).toBe('\n');
  });

  it('names the field and the code point', () => {
    expect(controlCharacterProblem('The ticket', 'A\u001bB', { multiline: false })).toBe(
      'The ticket contains an invisible control character (U+001B); remove it.',
    );
    expect(controlCharacterProblem('The ticket', 'AB', { multiline: false })).toBeUndefined();
  });

  it('escapes every control character into visible text and leaves other text alone', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const escaped = escapeControlCharacters(text);
        expect(hasControlCharacters(escaped)).toBe(false);
        if (!hasControlCharacters(text)) expect(escaped).toBe(text);
      }),
    );
    expect(escapeControlCharacters('a\u001b[0m\n\u202E')).toBe('a\\u001B[0m\\u000A\\u202E');
  });
});
