import { describe, expect, it } from 'vitest';
import { httpAnswerFor } from '../../../shared/adapters/http/error-status.js';
import {
  AlreadyDecidedError,
  BrokerError,
  ConfigError,
  NotAuthorizedError,
  NotFoundError,
  ValidationError,
} from '../../../shared/domain/errors.js';

describe('the HTTP answer to an error', () => {
  it.each([
    { description: 'a validation error', error: new ValidationError('bad'), statusCode: 400, expose: true },
    { description: 'a refusal', error: new NotAuthorizedError('x', 'no'), statusCode: 403, expose: true },
    { description: 'a missing id', error: new NotFoundError('Request r1'), statusCode: 404, expose: true },
    { description: 'a lost race', error: new AlreadyDecidedError('APPROVED'), statusCode: 409, expose: true },
    {
      description: 'a hidden configuration error',
      error: new ConfigError('X=1'),
      statusCode: 500,
      expose: false,
    },
    {
      description: 'an exposed server-side code',
      error: new BrokerError('AWS_OPERATION_FAILED', 'IAM said no', { expose: true }),
      statusCode: 502,
      expose: true,
    },
    {
      description: 'anything not ours',
      error: new TypeError('x is undefined'),
      statusCode: 500,
      expose: false,
    },
  ])('$description is $statusCode', ({ error, statusCode, expose }) => {
    expect(httpAnswerFor(error)).toEqual({ statusCode, expose, clientError: statusCode < 500 });
  });
});
