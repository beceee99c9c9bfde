import { compileRateLimits } from '@app/config';
import { LEASE_MS, LeaseBook, MAX_LEASES } from './lease-book';

const [big, small] = compileRateLimits([
  { per: 'user', limit: 1000, window: '1m' },
  { per: 'user', limit: 99, window: '1m' },
]);

describe('LeaseBook', () => {
  let now = 0;
  const book = () => new LeaseBook(() => now);
  beforeEach(() => void (now = 1000));

  it('leases as many calls as the key used during its last lease, at most 1% of the limit', () => {
    const leases = book();
    expect(leases.extraFor('k', big)).toBe(0); // never seen: no lease
    leases.granted('k', big, 1, 0, 0);
    expect(leases.take('k', 1)).toBe(false);
    expect(leases.extraFor('k', big)).toBe(1);
    leases.granted('k', big, 1, 1, 1);
    expect(leases.take('k', 1)).toBe(true);
    expect(leases.take('k', 1)).toBe(false);
    expect(leases.extraFor('k', big)).toBe(2);
    leases.granted('k', big, 1, 2, 2);
    for (let i = 0; i < 2; i++) expect(leases.take('k', 1)).toBe(true);
    leases.granted('k', big, 1, 50, 50);
    for (let i = 0; i < 50; i++) leases.take('k', 1);
    expect(leases.extraFor('k', big)).toBe(10); // 51 used, capped at 1% of 1000
  });

  it('asks for one lease at a time: concurrent calls of the key ask for none until it is granted or abandoned', () => {
    const leases = book();
    leases.granted('k', big, 1, 0, 0);
    expect(leases.extraFor('k', big)).toBe(1);
    expect(leases.extraFor('k', big)).toBe(0);
    // A call without a lease request of its own, answered meanwhile, only counts.
    leases.granted('k', big, 1, 0, 0);
    leases.abandon('k', 1);
    expect(leases.extraFor('k', big)).toBe(2);
    leases.granted('k', big, 1, 2, 2);
    // What is left of a live lease is kept when the next one is granted.
    expect(leases.take('k', 1)).toBe(true);
    leases.granted('k', big, 1, 3, 3);
    expect([leases.take('k', 4), leases.take('k', 1)]).toEqual([true, false]);
  });

  it('never leases for limits under 100 calls (every call goes to Redis)', () => {
    const leases = book();
    leases.granted('k', small, 1, 5, 5);
    expect(leases.take('k', 1)).toBe(false);
    expect(leases.extraFor('k', small)).toBe(0);
  });

  it('a lease expires after 250 ms; an old one says nothing about the rate now', () => {
    const leases = book();
    leases.granted('k', big, 1, 5, 5);
    now += LEASE_MS;
    expect(leases.take('k', 1)).toBe(false);
    expect(leases.extraFor('k', big)).toBe(1);
    now += LEASE_MS + 1;
    expect(leases.extraFor('k', big)).toBe(0);
  });

  it('gives back calls of a refused request and forgets refunded leases', () => {
    const leases = book();
    leases.granted('k', big, 1, 2, 2);
    expect(leases.take('k', 2)).toBe(true);
    leases.giveBack('k', 2);
    expect(leases.take('k', 2)).toBe(true);
    leases.forget('k');
    expect(leases.size).toBe(0);
  });

  it('holds at most MAX_LEASES keys, dropping expired ones first', () => {
    const leases = book();
    for (let i = 0; i < MAX_LEASES; i++) leases.granted(`k${i}`, big, 1, 1, 1);
    leases.granted('one-more', big, 1, 1, 1);
    expect(leases.take('one-more', 1)).toBe(false);
    now += 3 * LEASE_MS;
    leases.granted('one-more', big, 1, 1, 1);
    expect([leases.size, leases.take('one-more', 1)]).toEqual([1, true]);
  });
});
