import * as z from 'zod';
import { isDay } from '../domain/audit-digest.js';
import { ENV } from './env.js';

/**
 * The digest run's setting, as the anchor function and the local runner read it: the first day
 * to digest while none is (AUDIT_DIGEST_FIRST_DAY), a calendar day by the same rule the stack
 * checks it with ({@link isDay}).
 */
export const AUDIT_DIGEST_SETTINGS_SHAPE = {
  [ENV.auditDigestFirstDay]: z.string().refine(isDay, { error: 'must be a day (YYYY-MM-DD)' }).optional(),
};
