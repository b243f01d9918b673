import { describe, expect, it } from 'vitest';
import {
  canonicalPersonKey,
  parsePerson,
  personKey,
  samePerson,
  slackPerson,
  tryParsePerson,
} from '../../shared/domain/person.js';

describe('Person', () => {
  it.each([
    {
      description: 'a bare Slack id is a Slack person',
      text: 'U0DEV00001',
      provider: 'slack',
      id: 'U0DEV00001',
    },
    {
      description: 'a qualified Slack id is the same Slack person',
      text: 'slack:U0DEV00001',
      provider: 'slack',
      id: 'U0DEV00001',
    },
    { description: 'an Enterprise Grid id (W…)', text: 'W0GRID0001', provider: 'slack', id: 'W0GRID0001' },
    {
      description: 'an OIDC subject',
      text: 'oidc:alice@example.com',
      provider: 'oidc',
      id: 'alice@example.com',
    },
    {
      description: 'a CLI caller by its IAM ARN (the id keeps its colons)',
      text: 'cli:arn:aws:iam::123456789012:user/alice',
      provider: 'cli',
      id: 'arn:aws:iam::123456789012:user/alice',
    },
  ])('parses $description', ({ text, provider, id }) => {
    expect(parsePerson(text)).toEqual({ provider, id });
  });

  it.each([
    { text: 'U0DEV00001', key: 'U0DEV00001' },
    { text: 'slack:U0DEV00001', key: 'U0DEV00001' },
    { text: 'oidc:alice@example.com', key: 'oidc:alice@example.com' },
    {
      text: 'cli:arn:aws:sts::123456789012:assumed-role/dev/alice',
      key: 'cli:arn:aws:sts::123456789012:assumed-role/dev/alice',
    },
  ])('writes $text in canonical form as $key (Slack stays the bare shorthand)', ({ text, key }) => {
    expect(personKey(parsePerson(text))).toBe(key);
    expect(canonicalPersonKey(text)).toBe(key);
    // The canonical form reads back as the same person.
    expect(samePerson(parsePerson(key), parsePerson(text))).toBe(true);
  });

  it('treats slack:U… and U… as one person, and other providers as others', () => {
    expect(samePerson(parsePerson('slack:U0DEV00001'), slackPerson('U0DEV00001'))).toBe(true);
    expect(samePerson(parsePerson('oidc:U0DEV00001'), slackPerson('U0DEV00001'))).toBe(false);
  });

  it.each([
    { description: 'a lower-case Slack id', text: 'u0dev00001' },
    { description: 'a Slack user group id', text: 'S0GROUP001' },
    { description: 'a Slack channel id', text: 'slack:C0CHAN0001' },
    { description: 'an unknown provider', text: 'ldap:alice' },
    { description: 'an empty OIDC subject', text: 'oidc:' },
    { description: 'an OIDC subject with a space', text: 'oidc:alice smith' },
    { description: 'an OIDC subject with a bidi override', text: 'oidc:alice\u202E' },
    { description: 'a CLI caller that is not an ARN', text: 'cli:alice' },
    { description: 'nothing', text: '' },
  ])('refuses $description', ({ text }) => {
    expect(tryParsePerson(text)).toHaveProperty('problem');
    expect(canonicalPersonKey(text)).toBeUndefined();
    expect(() => parsePerson(text)).toThrow(TypeError);
  });
});
