// Backend health from the request log: the proxy notes every request it failed (connect refused,
// timeout...) in the entry's `error`. Shared by the overview tiles and the proxy target badges.
import { api } from './api.js';

/** A backend is "failing now" when its latest request in this window failed at the proxy. */
export const FAILING_WINDOW_MS = 10 * 60_000;

/**
 * @typedef {{ ts: number, host: string, status: number, error?: string, listener: string }} LogEntry
 * @typedef {{ reachable: boolean | null, lastRequest: LogEntry | null, lastError: LogEntry | null }} BackendState
 *   reachable: null when no request reached the proxy for it in the last hour
 */

/** @param {LogEntry} e  a request the backend answered badly or never answered */
export const isBackendFailure = (e) => !!e.error || e.status >= 500;

/**
 * The latest server-side failure per host in the last day (one API call).
 * @returns {Promise<Map<string, LogEntry>>}
 */
export async function latestFailures() {
  const answer = await api('GET', '/api/v1/logs/errors?hours=24&limit=1000');
  /** @type {Map<string, LogEntry>} */
  const byHost = new Map();
  for (const e of /** @type {LogEntry[]} */ (answer.entries))
    if (e.listener !== 'api' && isBackendFailure(e) && !byHost.has(e.host)) byHost.set(e.host, e);
  return byHost;
}

/**
 * The latest request of one host in the last hour.
 * @param {string} host
 * @returns {Promise<LogEntry | null>}
 */
export async function latestRequest(host) {
  const answer = await api('GET', `/api/v1/logs?hostname=${encodeURIComponent(host)}&hours=1&limit=1`);
  return answer.entries[0] ?? null;
}

/**
 * Per host: reachable (its latest request of the last hour did not fail at the proxy), its latest request and failure.
 * @param {string[]} hosts
 * @returns {Promise<Map<string, BackendState>>}
 */
export async function backendStates(hosts) {
  const failures = await latestFailures();
  const latest = await Promise.all(hosts.map((host) => latestRequest(host)));
  return new Map(
    hosts.map((host, i) => {
      const last = latest[i];
      return [host, { reachable: last ? !last.error : null, lastRequest: last, lastError: failures.get(host) ?? null }];
    }),
  );
}

/**
 * Hosts whose backend is failing now: a proxy failure in the last FAILING_WINDOW_MS, and it is their latest request.
 * @returns {Promise<string[]>}
 */
export async function failingBackends() {
  const since = Date.now() - FAILING_WINDOW_MS;
  const recent = [...(await latestFailures()).values()].filter((e) => e.error && e.ts >= since);
  const latest = await Promise.all(recent.map((e) => latestRequest(e.host)));
  return recent.filter((_, i) => latest[i]?.error).map((e) => e.host);
}
