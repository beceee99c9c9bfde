import { runServerExpectingExit } from '../support/server-process';

describe('start-up configuration errors', () => {
  it('exits non-zero with one line naming REDIS_URL when it is not a URL', async () => {
    const { code, output } = await runServerExpectingExit({
      REDIS_URL: 'not-a-url',
      ADMIN_TOKEN: 'acm_0123456789abcdefghij',
    });
    expect(code).not.toBe(0);
    expect(output.trim().split('\n')).toEqual([
      'configuration error: REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://:password@127.0.0.1:6379/0 (got "not-a-url")',
    ]);
  });

  it('names a missing ADMIN_TOKEN', async () => {
    const { code, output } = await runServerExpectingExit({ REDIS_URL: 'redis://127.0.0.1:1' });
    expect(code).not.toBe(0);
    expect(output.trim()).toMatch(/^configuration error: ADMIN_TOKEN is required[^\n]*$/);
  });
});
