import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bearerToken, callerFromClaims, DevSessions } from '../../../functions/console-api/caller.js';
import { readLocalConfig } from '../../../functions/local/config.js';
import { isSandboxedOnLoopback } from '../../../functions/local/runner.js';
import { parsePolicy } from '../../../shared/domain/policy-text.js';
import { ManualClock } from '../../support/fakes.js';

const policy = parsePolicy(readFileSync('policy/example.yaml', 'utf8'), 'example.yaml');

describe('the console caller', () => {
  it('maps a verified email claim to an oidc person whose email is that claim', async () => {
    const caller = callerFromClaims(
      { email: 'Alice@Example.com', email_verified: true },
      { emailClaim: 'email', policy },
    );
    expect(caller.person).toEqual({ provider: 'oidc', id: 'alice@example.com' });
    expect(await caller.directory.emailOf(caller.person)).toBe('alice@example.com');
  });

  it.each([
    [{}, 'no email claim'],
    [{ email: 'alice@example.com', email_verified: false }, 'an unverified email'],
    [{ email: 'has space@example.com' }, 'an email that is no person id'],
  ])('refuses a token with %j (%s)', (claims, _why) => {
    expect(() => callerFromClaims(claims, { emailClaim: 'email', policy })).toThrow(/email/);
  });

  it('signs in only people the policy names, for a short session', () => {
    const clock = new ManualClock('2026-03-01T10:00:00Z');
    const sessions = new DevSessions(clock, 60);
    expect(() => sessions.signIn(policy, 'U0SOMEONE1')).toThrow('Pick a person the policy names.');
    const { token } = sessions.signIn(policy, 'U0DEV00001');
    expect(sessions.personOf(token)).toEqual({ provider: 'slack', id: 'U0DEV00001' });
    clock.advance(61);
    expect(sessions.personOf(token)).toBeUndefined();
  });

  it('reads the bearer token from the Authorization header only', () => {
    expect(bearerToken({ authorization: 'Bearer abcdefghijklmnopqrstuvwxyz' })).toBe(
      'abcdefghijklmnopqrstuvwxyz',
    );
    expect(bearerToken({ authorization: 'Basic abcdefghijklmnopqrstuvwxyz' })).toBeUndefined();
    expect(bearerToken({})).toBeUndefined();
  });

  it('offers development sign-in only while sandboxed on loopback', () => {
    expect(isSandboxedOnLoopback(readLocalConfig({}))).toBe(true);
    expect(
      isSandboxedOnLoopback(readLocalConfig({ HOST: '0.0.0.0', SLACK_SIGNING_SECRET: 'x'.repeat(32) })),
    ).toBe(false);
    expect(
      isSandboxedOnLoopback(readLocalConfig({ AWS_MODE: 'aws', SLACK_SIGNING_SECRET: 'x'.repeat(32) })),
    ).toBe(false);
  });
});
