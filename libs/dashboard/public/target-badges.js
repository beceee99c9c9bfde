// Status badges of the proxy target list: certificate, protection, backend reachability and the
// last error. Loaded once per render of the list (certificates, and the request log's recent requests).
import { api } from './api.js';
import { backendStates } from './backend-health.js';
import { h } from './dom.js';
import { EXPIRING_MS } from './overview.js';

/**
 * @typedef {{ status: string, expires_at: string | null, error: string | null }} CertificateState
 * @typedef {{ certificates: Map<string, CertificateState>, backends: Map<string, import('./backend-health.js').BackendState> }} BadgeData
 */

/** @type {BadgeData} */
let data = { certificates: new Map(), backends: new Map() };

/** Loads what the badges show; a failure leaves the badges without that part (the list still shows). */
export async function loadBadgeData() {
  const [certificates, targets] = await Promise.all([
    api('GET', '/api/v1/certificates').catch(() => []),
    api('GET', '/api/v1/proxy/targets').catch(() => []),
  ]);
  const hosts = /** @type {any[]} */ (targets).map((t) => String(t.hostname));
  data = {
    certificates: new Map(/** @type {any[]} */ (certificates).map((c) => [c.cert_name, c])),
    backends: await backendStates(hosts).catch(() => new Map()),
  };
}

/**
 * @param {string} label
 * @param {string} [cls]  status-ok, status-warn, status-bad
 * @param {string} [key]  data-badge, for tests
 */
const badge = (label, cls, key) => h('span', { class: `badge ${cls ?? ''}`.trim(), 'data-badge': key }, label);

/** @param {string} iso */
const day = (iso) => iso.slice(0, 10);

/** @param {Record<string, any>} row  a proxy target */
function certificateBadge(row) {
  if (!row.enable_https) return badge('HTTP only', undefined, 'certificate');
  if (!row.cert_name) return badge('no certificate', 'status-warn', 'certificate');
  const cert = data.certificates.get(row.cert_name);
  const lifecycle = row.lifecycle?.state;
  if (lifecycle === 'failed' || cert?.status === 'failed')
    return badge(
      `certificate failing: ${row.lifecycle?.reason ?? cert?.error ?? 'order failed'}`,
      'status-bad',
      'certificate',
    );
  if (cert?.expires_at) {
    const left = Date.parse(cert.expires_at) - Date.now();
    if (left <= 0) return badge(`certificate expired ${day(cert.expires_at)}`, 'status-bad', 'certificate');
    return badge(
      `valid until ${day(cert.expires_at)}`,
      left < EXPIRING_MS ? 'status-warn' : 'status-ok',
      'certificate',
    );
  }
  return badge('certificate pending', undefined, 'certificate');
}

/** @param {boolean | null} reachable  null: no request in the last hour */
function backendBadge(reachable) {
  if (reachable === null) return badge('no recent requests', undefined, 'backend');
  return reachable
    ? badge('backend reachable', 'status-ok', 'backend')
    : badge('backend unreachable', 'status-bad', 'backend');
}

/** @param {Record<string, any>} row  a proxy target */
export function targetBadges(row) {
  const backend = data.backends.get(row.hostname);
  const last = backend?.lastError;
  return h(
    'span',
    { class: 'badges' },
    certificateBadge(row),
    row.protected ? badge('protected', 'status-ok', 'protected') : badge('open', undefined, 'protected'),
    backendBadge(backend?.reachable ?? null),
    last
      ? badge(
          `last error ${new Date(last.ts).toISOString().slice(0, 16).replace('T', ' ')}: ${last.error ?? `HTTP ${last.status}`}`,
          'status-bad',
          'last-error',
        )
      : null,
  );
}
