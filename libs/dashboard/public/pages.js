// The dashboard's pages, in navigation order. Add a page by appending to PAGES: a resourcePage({...})
// for an API collection, or { id, title, render(container) } for anything else.
import { api } from './api.js';
import { h, text } from './dom.js';
import { resourcePage } from './resource-page.js';

const healthPage = {
  id: 'health',
  title: 'Health',
  async render(container) {
    const facts = h('div', { 'aria-live': 'polite' });
    const refresh = async () => {
      try {
        const health = await api('GET', '/health');
        const ok = health.status === 'ok';
        facts.replaceChildren(
          h(
            'dl',
            { class: 'facts card' },
            h('dt', {}, 'Status'),
            h('dd', { class: ok ? 'status-ok' : 'status-bad' }, text(health.status)),
            h('dt', {}, 'Redis'),
            h('dd', {}, `${text(health.redis?.status)}${health.redis?.latency_ms != null ? ` (${health.redis.latency_ms} ms)` : ''}${health.redis?.error ? `: ${health.redis.error}` : ''}`),
            h('dt', {}, 'Version'),
            h('dd', {}, text(health.version)),
            h('dt', {}, 'Uptime'),
            h('dd', {}, `${text(health.uptime_s)} s`),
          ),
        );
      } catch (error) {
        facts.replaceChildren(h('p', { class: 'error', role: 'alert' }, error.message));
      }
    };
    container.append(h('h1', {}, 'Health'), facts, h('button', { type: 'button', onclick: refresh }, 'Refresh'));
    await refresh();
  },
};

const ownedCounts = (owned) => {
  const entries = Object.entries(owned ?? {}).filter(([, n]) => n > 0);
  return entries.length ? entries.map(([kind, n]) => `${kind}: ${n}`).join(', ') : '-';
};

const secretLine = (token) => h('p', {}, 'Token value (copy it now, it is not shown again): ', h('code', { class: 'secret', 'data-testid': 'new-token' }, token));

const tokensPage = resourcePage({
  id: 'tokens',
  title: 'API tokens',
  noun: 'token',
  plural: 'API tokens',
  description: 'Tokens for the API, the CLI and this dashboard. A token value is shown once, when it is created.',
  listPath: '/api/v1/tokens',
  createPath: '/api/v1/tokens',
  itemPath: (row) => `/api/v1/tokens/${encodeURIComponent(row.name)}`,
  rowLabel: (row) => `token ${row.name}`,
  fields: [
    { name: 'name', label: 'Name', required: true, hint: 'Letters, digits, _ . - (at most 64), starting with a letter or digit.' },
    { name: 'cert_email', label: 'Certificate e-mail', type: 'email', hint: 'Used for ACME certificates created with this token.' },
  ],
  columns: [
    { label: 'Name', key: 'name' },
    { label: 'Certificate e-mail', key: 'cert_email' },
    { label: 'Created', key: 'created_at' },
    { label: 'Rotated', key: 'rotated_at' },
    { label: 'Owns', key: 'owned', format: ownedCounts },
  ],
  deletable: true,
  afterCreate: (created) => secretLine(created.token),
  actions: [
    {
      label: 'Rotate',
      method: 'POST',
      path: (row) => `/api/v1/tokens/${encodeURIComponent(row.name)}/rotate`,
      confirm: (row) => `Replace the value of token ${row.name}? The old value stops working at once.`,
      afterAction: (result) => secretLine(result.token),
    },
  ],
});

/** `admin: true` pages are listed only for the admin token (the API refuses others anyway). */
export const PAGES = [
  { ...healthPage, admin: false },
  { ...tokensPage, admin: true },
];
