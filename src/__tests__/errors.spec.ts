import { messageOf } from '../errors';
import { httpError } from './fakes';

describe('messageOf', () => {
  it('adds the problems the message does not already hold', () => {
    const error = httpError(400, 'Invalid parameters:\n  - a: bad', [
      'a: bad',
      'b: worse'
    ]);

    expect(messageOf(error)).toBe('Invalid parameters:\n  - a: bad\nb: worse');
  });

  it('reads any thrown value', () => {
    expect(messageOf(new Error('boom'))).toBe('boom');
    expect(messageOf('plain')).toBe('plain');
  });
});
