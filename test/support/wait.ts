// The one place in test/ where time passes on purpose. Tests wait for conditions (waitFor), never
// for time; eslint (eslint.config.mjs) rejects sleeps everywhere else under test/.
import { setTimeout as delay } from 'node:timers/promises';
import { inspect } from 'node:util';

export interface WaitOptions {
  /** How long to keep probing before giving up (default 10 s). */
  timeoutMs?: number;
  /** Pause between two probes (default 50 ms). */
  intervalMs?: number;
  /** One probe that has not settled after this long counts as a failed probe, so a hung probe cannot hang the test (default 10 s). */
  probeTimeoutMs?: number;
  /** A probe that throws ends the wait at once (default: the error is remembered and the probe retried). */
  failOnProbeError?: boolean;
  /** Checked before every probe: a reason here ends the wait at once (e.g. the process under test exited). */
  giveUpIf?: () => string | false | undefined | null;
  /** Appended to the error on failure (e.g. a daemon's output), computed only then. */
  details?: () => string;
}

const MAX_SHOWN = 500;

/** JSON.stringify's replacer: maps, sets and bigints, which JSON has no form for, as something readable. */
function showable(_key: string, v: unknown): unknown {
  if (v instanceof Map) return Object.fromEntries(v);
  if (v instanceof Set) return [...v];
  if (typeof v === 'bigint') return `${v}n`;
  return v;
}

/** A compact, bounded rendering of what a probe returned, for error messages. */
export function describeValue(value: unknown, max = MAX_SHOWN): string {
  let text: string;
  if (value instanceof Error) text = `${value.name}: ${value.message}`;
  else if (typeof value === 'string') text = JSON.stringify(value);
  else {
    try {
      text = JSON.stringify(value, showable) ?? String(value);
    } catch {
      text = inspect(value, { depth: 4, breakLength: Infinity });
    }
  }
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

/**
 * Probes until `accept` takes the value, and resolves with that value. On timeout (or giveUpIf) it
 * rejects with an error naming what it waited for, for how long, and the last value seen or the last
 * error the probe threw — so a failure says what the system was doing instead of "false".
 * A probe started before the deadline is judged even if it answers after it.
 */
export function waitFor<T, U extends T>(
  what: string,
  probe: () => T | Promise<T>,
  accept: (value: T) => value is U,
  options?: WaitOptions,
): Promise<U>;
export function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  accept: (value: T) => boolean,
  options?: WaitOptions,
): Promise<T>;
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  accept: (value: T) => boolean,
  options: WaitOptions = {},
): Promise<T> {
  const { timeoutMs = 10_000, intervalMs = 50, probeTimeoutMs = 10_000 } = options;
  const started = performance.now();
  const deadline = started + timeoutMs;
  let last: { kind: 'none' } | Outcome<T> = { kind: 'none' };
  const fail = (why: string): Error => {
    const seen = describeLast(last);
    const details = options.details?.();
    return new Error(
      `waiting for ${what}: ${why} after ${Math.round(performance.now() - started)} ms; ${seen}${details ? `\n${details}` : ''}`,
    );
  };
  for (let attempt = 0; ; attempt++) {
    const reason = options.giveUpIf?.();
    if (reason) throw fail(`gave up (${reason})`);
    const outcome = await settleWithin(probe, probeTimeoutMs);
    last = outcome;
    if (outcome.kind === 'value') {
      if (accept(outcome.value)) return outcome.value;
    } else if (options.failOnProbeError) {
      throw fail('the probe threw');
    }
    const left = deadline - performance.now();
    if (left <= 0) throw fail(`timed out (limit ${timeoutMs} ms, ${attempt + 1} probes)`);
    await delay(Math.min(intervalMs, left));
  }
}

/** What the last finished probe gave, for the timeout message. */
function describeLast<T>(last: { kind: 'none' } | Outcome<T>): string {
  if (last.kind === 'value') return `last value: ${describeValue(last.value)}`;
  if (last.kind === 'error') return `last probe error: ${describeValue(last.error)}`;
  return 'no probe finished';
}

type Outcome<T> = { kind: 'value'; value: T } | { kind: 'error'; error: unknown };

/** Runs the probe; settles with its value, its error, or an error when it has not settled within `limitMs`. */
async function settleWithin<T>(probe: () => T | Promise<T>, limitMs: number): Promise<Outcome<T>> {
  const run = (async (): Promise<Outcome<T>> => {
    try {
      return { kind: 'value', value: await probe() };
    } catch (error) {
      return { kind: 'error', error };
    }
  })();
  const timer = new AbortController();
  const hung: Outcome<T> = { kind: 'error', error: new Error(`the probe did not answer within ${limitMs} ms`) };
  const late = delay(limitMs, hung, { signal: timer.signal }).catch(() => hung);
  try {
    return await Promise.race([run, late]);
  } finally {
    timer.abort();
  }
}

/** waitFor for a condition that is simply true or false (prefer waitFor with the value itself: its failure shows it). */
export function waitUntil(what: string, check: () => boolean | Promise<boolean>, options?: WaitOptions): Promise<true> {
  return waitFor(what, check, (ok): ok is true => ok, options);
}

/** Accepts any value but undefined (e.g. "until the record is there"). */
export function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}

/**
 * Time that is itself part of what a test exercises, never a way to wait for something: a backend
 * that answers late or trickles, an outage that lasts a while, traffic paced during a failover, or a
 * period in which nothing may happen. `why` says which, at the call site.
 */
export async function quietPeriod(ms: number, why: string, options: { signal?: AbortSignal } = {}): Promise<void> {
  void why;
  await delay(ms, undefined, options);
}
