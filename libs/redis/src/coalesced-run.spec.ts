import { CoalescedRun } from './coalesced-run';

describe('CoalescedRun', () => {
  it('runs once more after the running call when calls arrive meanwhile, however many', async () => {
    let runs = 0;
    let release!: () => void;
    const run = new CoalescedRun(async () => {
      runs++;
      if (runs === 1) await new Promise<void>((resolve) => (release = resolve));
    });
    const first = run.run();
    const second = run.run();
    const third = run.run();
    release();
    await Promise.all([first, second, third]);
    expect(runs).toBe(2);
    await run.run();
    expect(runs).toBe(3);
  });
});
