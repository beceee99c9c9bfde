import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { LogFilter, matches } from './log-filter';
import { StoredLogEntry } from './request-log-entry';
import { RequestLogStore } from './request-log.store';

const POLL_MS = 250;

export interface LogFollower {
  /** Only `allowedHosts` and the field filters are used; the time window is ignored. */
  filter: LogFilter;
  send(entry: StoredLogEntry): void;
  /** Ends the follower's response (server shutting down). */
  close(): void;
}

/**
 * Live tail of the request log for SSE followers. One poll of the stream (XRANGE after the last
 * seen id, every 250 ms) serves every follower of this replica, and only while someone follows;
 * the shared command connection is never blocked (no XREAD BLOCK).
 */
@Injectable()
export class LogFollowHub implements BeforeApplicationShutdown {
  private readonly logger = new Logger(LogFollowHub.name);
  private readonly followers = new Set<LogFollower>();
  private cursor: string | null = null;
  private timer?: NodeJS.Timeout;
  private polling = false;

  constructor(private readonly store: RequestLogStore) {}

  /** Starts delivering entries written from now on; returns the unsubscribe function. */
  async follow(follower: LogFollower): Promise<() => void> {
    if (this.cursor === null) this.cursor = await this.store.lastId();
    this.followers.add(follower);
    this.timer ??= setInterval(() => void this.poll(), POLL_MS);
    return () => {
      this.followers.delete(follower);
      if (this.followers.size === 0) this.stop();
    };
  }

  /** Ends every open follow stream, so closing the HTTP server does not wait for them. */
  beforeApplicationShutdown(): void {
    for (const follower of this.followers) follower.close();
    this.followers.clear();
    this.stop();
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.cursor = null;
  }

  private async poll(): Promise<void> {
    if (this.polling || this.cursor === null) return;
    this.polling = true;
    try {
      for (;;) {
        const page = await this.store.after(this.cursor, 500);
        if (page.length === 0 || this.cursor === null) break;
        this.cursor = page[page.length - 1].id;
        for (const entry of page) {
          for (const follower of this.followers) {
            if (matches({ ...follower.filter, sinceMs: 0, untilMs: Number.MAX_SAFE_INTEGER }, entry))
              follower.send(entry);
          }
        }
        if (page.length < 500) break;
      }
    } catch (error) {
      this.logger.warn(`follow poll failed: ${(error as Error).message}`);
    } finally {
      this.polling = false;
    }
  }
}
