import { readFileSync, statSync } from 'node:fs';
import { PolicyError } from '../domain/errors.js';

/**
 * The largest policy file the broker reads: 2 MiB, twice what a 5,000-target policy takes
 * (about 1.1 MB of YAML, bench/policy.ts). Why: every Lambda cold start and every synth reads
 * the policy; a runaway file would stall them all.
 */
export const MAX_POLICY_FILE_BYTES = 2 * 1024 * 1024;

/**
 * The text of a file the broker reads a policy from, at most `maxBytes` long. Throws
 * PolicyError naming the file when it is too large or cannot be read.
 */
export function readPolicyText(path: string, maxBytes = MAX_POLICY_FILE_BYTES): string {
  try {
    const { size } = statSync(path);
    if (size > maxBytes) {
      throw new PolicyError(path, [
        `(file): is ${size} bytes; a policy file may be at most ${maxBytes} bytes (${maxBytes / 1024 / 1024} MiB)`,
      ]);
    }
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof PolicyError) throw error;
    throw new PolicyError(path, [`(file): cannot be read: ${(error as Error).message}`]);
  }
}
