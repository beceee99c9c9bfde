import { Injectable } from '@nestjs/common';

/** Wall-clock time for the request log (replaced in tests to move retention forward). */
@Injectable()
export class LogClock {
  now(): number {
    return Date.now();
  }
}
