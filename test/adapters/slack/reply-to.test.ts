import { describe, expect, it } from 'vitest';
import { replyToSlackView, slackViewOf } from '../../../shared/adapters/slack/reply-to.js';
import { ValidationError } from '../../../shared/domain/errors.js';

describe('the Slack front door replyTo', () => {
  it('round-trips the open modal it names', () => {
    expect(slackViewOf(replyToSlackView('V0MODAL1'))).toBe('V0MODAL1');
  });
  it.each([
    { description: "another front door's address", replyTo: 'console-session:abc' },
    { description: 'a bare view id', replyTo: 'V0MODAL1' },
    { description: 'no view at all', replyTo: 'slack-view:' },
  ])('refuses $description (the Slack delivery cannot answer there)', ({ replyTo }) => {
    expect(() => slackViewOf(replyTo)).toThrow(ValidationError);
  });
});
