import { randomBytes } from 'node:crypto';
import type { IdGenerator } from '../domain/ports.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford base32

/**
 * ULID-style ids: 10 characters of milliseconds then 16 random ones, so ids sort by
 * creation time and never collide in practice.
 */
export class UlidGenerator implements IdGenerator {
  newId(now: Date): string {
    let time = now.getTime();
    let head = '';
    for (let i = 0; i < 10; i++) {
      head = ALPHABET[time % 32] + head;
      time = Math.floor(time / 32);
    }
    const bytes = randomBytes(16);
    let tail = '';
    for (const byte of bytes) tail += ALPHABET[byte % 32];
    return head + tail;
  }
}

/** The wall clock, for production wiring only; everything else receives a Clock. */
export const systemClock = { now: () => new Date() };
