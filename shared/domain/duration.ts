import { ValidationError } from './errors.js';

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/**
 * Parses a human duration ("90s", "15m", "1h", "1h30m", "2d") into whole seconds.
 * Returns undefined for anything else, including "0m" and the empty string.
 */
export function tryParseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match || text.trim() === '') return undefined;
  const [, d, h, m, s] = match;
  const seconds =
    Number(d ?? 0) * UNIT_SECONDS.d +
    Number(h ?? 0) * UNIT_SECONDS.h +
    Number(m ?? 0) * UNIT_SECONDS.m +
    Number(s ?? 0) * UNIT_SECONDS.s;
  return seconds > 0 ? seconds : undefined;
}

/** Like {@link tryParseDuration} but throws a ValidationError that quotes the bad value. */
export function parseDuration(text: string): number {
  const seconds = tryParseDuration(text);
  if (seconds === undefined) throw new ValidationError(`"${text}" is not a duration (try 15m, 1h or 1h30m).`);
  return seconds;
}

/** Formats seconds as the shortest human duration: 5400 → "1h30m". */
export function formatDuration(totalSeconds: number): string {
  let rest = Math.max(0, Math.floor(totalSeconds));
  if (rest === 0) return '0s';
  let out = '';
  for (const [unit, size] of [
    ['d', UNIT_SECONDS.d],
    ['h', UNIT_SECONDS.h],
    ['m', UNIT_SECONDS.m],
    ['s', UNIT_SECONDS.s],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}
