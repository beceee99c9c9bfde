// The landing page: tiles counting what needs attention (each links to its page) and traffic charts
// for the last hour or day (GET /api/v1/logs/timeseries).
import { api } from './api.js';
import { failingBackends } from './backend-health.js';
import { millis, percent, seriesCharts } from './charts.js';
import { h, text } from './dom.js';

const DAY_MS = 24 * 3_600_000;
/** Certificates expiring within this are "expiring". */
export const EXPIRING_MS = 14 * DAY_MS;

/**
 * A tile: a link to the page holding the items, a title and its figures.
 * @param {string} id  data-tile, for tests
 * @param {string} title
 * @param {string} href
 * @param {[number | string, string, string?][]} figures  [count, what, status class]
 */
function tile(id, title, href, figures) {
  return h(
    'a',
    { class: 'tile card', href, 'data-tile': id },
    h('span', { class: 'tile-title' }, title),
    ...figures.map(([count, what, cls]) =>
      h('span', { class: `figure ${cls ?? ''}`.trim() }, h('strong', {}, String(count)), ` ${what}`),
    ),
  );
}

/** @param {string} id @param {string} title @param {string} href @param {Error} error */
const failedTile = (id, title, href, error) =>
  h(
    'a',
    { class: 'tile card', href, 'data-tile': id },
    h('span', { class: 'tile-title' }, title),
    h('span', { class: 'status-bad' }, error.message),
  );

/**
 * Each tile loads on its own: one failing call shows its error in its tile only.
 * @param {string} id @param {string} title @param {string} href
 * @param {() => Promise<[number | string, string, string?][]>} load
 */
async function loadTile(id, title, href, load) {
  try {
    return tile(id, title, href, await load());
  } catch (error) {
    return failedTile(id, title, href, error);
  }
}

/** @param {boolean} isAdmin */
async function tiles(isAdmin) {
  const now = Date.now();
  /** @type {Promise<HTMLElement>[]} */
  const all = [
    loadTile('targets', 'Proxy targets', '#/proxies', async () => {
      const targets = /** @type {any[]} */ (await api('GET', '/api/v1/proxy/targets'));
      const enabled = targets.filter((t) => t.enabled);
      return [
        [enabled.filter((t) => t.protected).length, 'protected', 'status-ok'],
        [enabled.filter((t) => !t.protected).length, 'open'],
        [targets.length - enabled.length, 'disabled'],
      ];
    }),
    loadTile('certificates', 'Certificates', '#/certificates', async () => {
      const certs = /** @type {any[]} */ (await api('GET', '/api/v1/certificates'));
      const expiry = (/** @type {any} */ c) => (c.expires_at ? Date.parse(c.expires_at) : null);
      const failed = certs.filter((c) => c.status === 'failed' || (expiry(c) ?? Infinity) <= now);
      const live = certs.filter((c) => !failed.includes(c) && expiry(c) !== null);
      const expiring = live.filter((c) => /** @type {number} */ (expiry(c)) - now < EXPIRING_MS);
      return [
        [live.length - expiring.length, 'valid', 'status-ok'],
        [expiring.length, 'expiring within 14 days', expiring.length ? 'status-warn' : undefined],
        [failed.length, 'failed', failed.length ? 'status-bad' : undefined],
      ];
    }),
    loadTile('backends', 'Backends failing now', '#/logs', async () => {
      const failing = await failingBackends();
      return [
        [
          failing.length,
          failing.length ? `failing: ${failing.join(', ')}` : 'failing',
          failing.length ? 'status-bad' : 'status-ok',
        ],
      ];
    }),
    loadTile('redis', 'Redis and replicas', '#/health', async () => {
      const [health, replicas] = await Promise.all([
        api('GET', '/health'),
        isAdmin ? api('GET', '/api/v1/workflow/replicas') : Promise.resolve(null),
      ]);
      const up = health.redis?.status === 'up';
      /** @type {[number | string, string, string?][]} */
      const figures = [
        [
          up ? 'up' : 'down',
          up ? `Redis (${health.redis.latency_ms} ms)` : `Redis: ${text(health.redis?.error)}`,
          up ? 'status-ok' : 'status-bad',
        ],
      ];
      if (replicas) figures.push([replicas.replicas.length, replicas.replicas.length === 1 ? 'replica' : 'replicas']);
      return figures;
    }),
  ];
  if (isAdmin)
    all.push(
      loadTile('oauth', 'OAuth', '#/oauth-sessions', async () => {
        const [sessions, clients] = await Promise.all([
          api('GET', '/api/v1/oauth/sessions'),
          api('GET', '/api/v1/oauth/clients'),
        ]);
        const list = /** @type {any[]} */ (sessions);
        return [
          [list.length, 'active sessions'],
          [list.filter((s) => Date.parse(s.created_at) >= now - DAY_MS).length, 'sign-ins in 24 h'],
          [/** @type {any[]} */ (clients).length, 'clients'],
        ];
      }),
      loadTile('dead-letters', 'Workflow dead letters', '#/workflow', async () => {
        const answer = await api('GET', '/api/v1/workflow/dead-letters?limit=1');
        return [[answer.total, 'dead letters', answer.total ? 'status-bad' : 'status-ok']];
      }),
    );
  return Promise.all(all);
}

/**
 * The charts for one window, overall or for one of the busiest hosts, and the host table.
 * @param {HTMLElement} holder
 * @param {'1h' | '24h'} window
 */
async function charts(holder, window) {
  const answer = await api('GET', `/api/v1/logs/timeseries?window=${window}`);
  const select = h(
    'select',
    { id: 'chart-host', name: 'host' },
    h('option', { value: '' }, 'All hosts'),
    ...answer.hosts.map((/** @type {any} */ s) => h('option', { value: s.hostname }, s.hostname)),
  );
  const drawn = h('div', { 'data-series': 'overall' }, seriesCharts(answer.overall));
  select.addEventListener('change', () => {
    const host = answer.hosts.find((/** @type {any} */ s) => s.hostname === select.value);
    drawn.dataset.series = host ? host.hostname : 'overall';
    drawn.replaceChildren(seriesCharts(host ?? answer.overall));
  });
  holder.replaceChildren(
    h('div', { class: 'field inline-field' }, h('label', { for: 'chart-host' }, 'Show'), select),
    drawn,
    ...(answer.truncated
      ? [h('p', { class: 'hint' }, 'More requests than one query reads: the charts show the newest.')]
      : []),
    hostTable(answer.hosts),
  );
}

/** @param {any[]} hosts  the busiest hosts of the window */
function hostTable(hosts) {
  if (!hosts.length) return h('p', { class: 'empty' }, 'No proxied requests in this window.');
  return h(
    'table',
    { class: 'host-table' },
    h('caption', {}, `Busiest hosts (top ${hosts.length})`),
    h(
      'thead',
      {},
      h('tr', {}, ...['Host', 'Requests', 'Errors', 'Error rate', 'p95'].map((c) => h('th', { scope: 'col' }, c))),
    ),
    h(
      'tbody',
      {},
      ...hosts.map((s) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, s.hostname),
          h('td', {}, String(s.requests)),
          h('td', {}, String(s.errors)),
          h('td', {}, percent(s.requests ? s.errors / s.requests : 0)),
          h('td', {}, s.p95_ms === null ? '-' : millis(s.p95_ms)),
        ),
      ),
    ),
  );
}

export const overviewPage = {
  id: 'overview',
  title: 'Overview',
  /** @param {HTMLElement} container */
  async render(container) {
    const me = await api('GET', '/api/v1/tokens/me');
    const tileBox = h('div', { class: 'tiles', 'aria-busy': 'true' });
    const chartBox = h('div', { 'aria-live': 'polite' });
    /** @type {'1h' | '24h'} */
    let window = '1h';
    const windowButtons = /** @type {const} */ (['1h', '24h']).map((w) =>
      h(
        'button',
        {
          type: 'button',
          'aria-pressed': String(w === window),
          onclick: async () => {
            window = w;
            for (const b of windowButtons) b.setAttribute('aria-pressed', String(b.dataset.window === w));
            await charts(chartBox, window);
          },
          'data-window': w,
        },
        w === '1h' ? 'Last hour' : 'Last day',
      ),
    );
    container.append(
      h('h1', {}, 'Overview'),
      h('section', { 'aria-labelledby': 'status-heading' }, h('h2', { id: 'status-heading' }, 'Status'), tileBox),
      h(
        'section',
        { 'aria-labelledby': 'traffic-heading' },
        h('h2', { id: 'traffic-heading' }, 'Traffic'),
        h('div', { class: 'buttons', role: 'group', 'aria-label': 'Time window' }, ...windowButtons),
        chartBox,
      ),
    );
    await Promise.all([
      tiles(me.is_admin).then((list) => {
        tileBox.replaceChildren(...list);
        tileBox.removeAttribute('aria-busy');
      }),
      charts(chartBox, window).catch((error) =>
        chartBox.replaceChildren(h('p', { class: 'error', role: 'alert' }, error.message)),
      ),
    ]);
  },
};
