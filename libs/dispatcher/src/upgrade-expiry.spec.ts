import { PassThrough } from 'node:stream';
import { closeAtExpiry } from './upgrade-expiry';

describe('closeAtExpiry', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('destroys the connection when the token expires, not before', () => {
    const socket = new PassThrough();
    closeAtExpiry(socket, 1_000_000_000 + 30);
    jest.advanceTimersByTime(29_999);
    expect(socket.destroyed).toBe(false);
    jest.advanceTimersByTime(1);
    expect(socket.destroyed).toBe(true);
  });

  it('leaves a connection without expiry alone, and forgets the timer of a closed one', () => {
    const open = new PassThrough();
    closeAtExpiry(open, undefined);
    const closed = new PassThrough();
    closeAtExpiry(closed, 1_000_000_000 + 30);
    closed.destroy();
    jest.runOnlyPendingTimers();
    expect(open.destroyed).toBe(false);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('closes at once for an expiry already past, and at most a timer’s longest delay later for a far one', () => {
    const past = new PassThrough();
    closeAtExpiry(past, 1_000_000_000 - 5);
    jest.advanceTimersByTime(0);
    expect(past.destroyed).toBe(true);
    const far = new PassThrough();
    closeAtExpiry(far, 1_000_000_000 + 10 * 365 * 86_400);
    jest.advanceTimersByTime(2 ** 31 - 1);
    expect(far.destroyed).toBe(true);
  });
});
