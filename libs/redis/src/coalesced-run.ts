/**
 * Runs an async reload; calls that arrive while it runs coalesce into one more run after it, so a
 * burst of configuration changes costs at most two reloads and the last change is never missed.
 */
export class CoalescedRun {
  private running?: Promise<void>;
  private again = false;

  constructor(private readonly task: () => Promise<void>) {}

  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.task();
        } while (this.again);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }
}
