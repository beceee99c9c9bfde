import { describeValue, quietPeriod, waitFor, waitUntil } from '../support/wait';

/** The suite's one waiting helper (test/support/wait.ts): what it returns, and what its failures say. */
describe('waitFor', () => {
  it('resolves with the first accepted value, probing again until then', async () => {
    let calls = 0;
    const value = await waitFor(
      'the third probe',
      () => ++calls,
      (n) => n >= 3,
      { intervalMs: 1 },
    );
    expect({ value, calls }).toEqual({ value: 3, calls: 3 });
  });

  it('accepts on the first probe without pausing', async () => {
    const started = performance.now();
    await expect(
      waitFor(
        'an immediate value',
        async () => 'ready',
        (s) => s === 'ready',
        { intervalMs: 10_000 },
      ),
    ).resolves.toBe('ready');
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('fails at the deadline naming what it waited for, how long, and the last value seen', async () => {
    let n = 0;
    const error = await waitFor(
      'the counter to reach 1000',
      () => ({ count: ++n }),
      (v) => v.count >= 1000,
      { timeoutMs: 100, intervalMs: 10 },
    ).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(
      /^waiting for the counter to reach 1000: timed out \(limit 100 ms, \d+ probes\) after \d+ ms; last value: \{"count":(\d+)\}$/,
    );
    expect(Number(/"count":(\d+)/.exec(message)![1])).toBe(n);
  });

  it('shows a long last value compactly: truncated JSON with its full length', async () => {
    const big = { items: Array.from({ length: 200 }, (_, i) => `item-${i}`) };
    const message = await waitFor(
      'an empty list',
      () => big,
      (v) => v.items.length === 0,
      { timeoutMs: 20, intervalMs: 5 },
    ).then(
      () => 'accepted',
      (e: Error) => e.message,
    );
    const shown = /last value: (.*)$/s.exec(message)![1];
    expect(shown.startsWith('{"items":["item-0","item-1"')).toBe(true);
    expect(shown).toMatch(new RegExp(`… \\(${JSON.stringify(big).length} chars\\)$`));
    expect(shown.length).toBeLessThan(540);
  });

  it('retries a probe that throws and reports the last error when it never succeeds', async () => {
    let calls = 0;
    const value = await waitFor(
      'a probe that fails twice',
      () => {
        if (++calls < 3) throw new Error(`not yet (${calls})`);
        return 'up';
      },
      () => true,
      { intervalMs: 1 },
    );
    expect({ value, calls }).toEqual({ value: 'up', calls: 3 });

    const message = await waitFor(
      'a service that refuses',
      () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1')),
      () => true,
      { timeoutMs: 30, intervalMs: 5 },
    ).catch((e: Error) => e.message);
    expect(message).toMatch(
      /^waiting for a service that refuses: timed out .* last probe error: Error: connect ECONNREFUSED 127\.0\.0\.1:1$/,
    );
  });

  it('stops at the first probe error when failOnProbeError is set', async () => {
    let calls = 0;
    const message = await waitFor(
      'a strict probe',
      () => {
        calls++;
        throw new TypeError('bad answer');
      },
      () => true,
      { failOnProbeError: true, timeoutMs: 5_000 },
    ).catch((e: Error) => e.message);
    expect({ calls, message }).toEqual({
      calls: 1,
      message: expect.stringMatching(
        /^waiting for a strict probe: the probe threw after \d+ ms; last probe error: TypeError: bad answer$/,
      ),
    });
  });

  it('gives up at once when giveUpIf names a reason, with the details', async () => {
    let calls = 0;
    const message = await waitFor(
      'a daemon to listen',
      () => ++calls,
      () => false,
      {
        timeoutMs: 5_000,
        intervalMs: 1,
        giveUpIf: () => calls >= 2 && 'the daemon exited with 1',
        details: () => 'daemon output: bind failed',
      },
    ).catch((e: Error) => e.message);
    expect(message).toMatch(
      /^waiting for a daemon to listen: gave up \(the daemon exited with 1\) after \d+ ms; last value: 2\ndaemon output: bind failed$/,
    );
  });

  it('does not hang on a probe that never answers: it counts as a failed probe', async () => {
    const message = await waitFor(
      'an answer',
      () => new Promise<never>(() => undefined),
      () => true,
      { timeoutMs: 50, probeTimeoutMs: 20 },
    ).catch((e: Error) => e.message);
    expect(message).toMatch(
      /^waiting for an answer: timed out \(limit 50 ms, \d+ probes\) after \d+ ms; last probe error: Error: the probe did not answer within 20 ms$/,
    );
  });

  it('judges a probe that started before the deadline even when it answers after it', async () => {
    let calls = 0;
    const probe = async () => {
      if (++calls === 1) return 'too early';
      await quietPeriod(50, 'this second answer arrives after the 30 ms deadline');
      return 'late but right';
    };
    await expect(
      waitFor('a slow answer', probe, (v) => v === 'late but right', { timeoutMs: 30, intervalMs: 10 }),
    ).resolves.toBe('late but right');
    expect(calls).toBe(2);
  });

  it('waitUntil waits for a boolean condition', async () => {
    let calls = 0;
    await expect(waitUntil('the second check', () => ++calls === 2, { intervalMs: 1 })).resolves.toBe(true);
    await expect(waitUntil('never', () => false, { timeoutMs: 10, intervalMs: 2 })).rejects.toThrow(
      /^waiting for never: timed out .* last value: false$/,
    );
  });

  it('describeValue renders errors, strings, Maps, Sets and circular values compactly', () => {
    expect(describeValue(new RangeError('too big'))).toBe('RangeError: too big');
    expect(describeValue('text')).toBe('"text"');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue({ m: new Map([['a', 1]]), s: new Set([2]) })).toBe('{"m":{"a":1},"s":[2]}');
    const circular: { self?: unknown } = {};
    circular.self = circular;
    expect(describeValue(circular)).toContain('[Circular');
  });

  it('quietPeriod ends early when its signal aborts', async () => {
    const controller = new AbortController();
    const quiet = quietPeriod(60_000, 'a backend that never answers', { signal: controller.signal });
    controller.abort();
    await expect(quiet).rejects.toThrow(/aborted/i);
  });
});
