// Line charts as inline SVG, drawn here (no library, nothing inline the CSP would refuse: only
// elements and presentation attributes; colours come from app.css classes).
import { h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
// About the size it is drawn at (a third of the page), so the labels keep their size.
const WIDTH = 360;
const HEIGHT = 150;
const LEFT = 46;
const RIGHT = 8;
const TOP = 8;
const BOTTOM = 22;

/**
 * @param {string} tag
 * @param {Record<string, string | number>} attrs
 * @param {(Element | string)[]} [children]
 */
function svg(tag, attrs, children = []) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

/** A round upper bound for the y axis: 1, 2 or 5 times a power of ten. @param {number} max */
export function niceMax(max) {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  return ([1, 2, 5, 10].find((m) => m * power >= max) ?? 10) * power;
}

/** @param {string} iso */
const clock = (iso) => new Date(iso).toISOString().slice(11, 16);

/**
 * A line chart of one value per time bucket. Empty buckets (null) leave a gap. The values are on
 * the figure's data-values attribute (comma-separated, empty for null) for tests and scripts.
 * @param {object} spec
 * @param {string} spec.title
 * @param {string} spec.id                    data-chart, e.g. "requests"
 * @param {{ start: string }[]} spec.buckets
 * @param {(b: any) => number | null} spec.value
 * @param {(n: number) => string} spec.format  axis and summary text
 */
export function lineChart(spec) {
  const values = spec.buckets.map(spec.value);
  const present = /** @type {number[]} */ (values.filter((v) => v !== null));
  const top = niceMax(Math.max(0, ...present));
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  const step = values.length > 1 ? plotW / (values.length - 1) : 0;
  const x = (/** @type {number} */ i) => LEFT + i * step;
  const y = (/** @type {number} */ v) => TOP + plotH - (v / top) * plotH;
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v === null) {
      pen = false;
      return;
    }
    d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)} ${y(v).toFixed(1)} `;
    pen = true;
  });
  const peak = present.length ? Math.max(...present) : null;
  const latest = [...values].reverse().find((v) => v !== null) ?? null;
  const first = spec.buckets[0]?.start;
  const lastBucket = spec.buckets[spec.buckets.length - 1]?.start;
  const summary = present.length
    ? `${spec.title}: peak ${spec.format(/** @type {number} */ (peak))}, latest ${spec.format(/** @type {number} */ (latest))}`
    : `${spec.title}: no requests in this window`;
  const grid = [0, top / 2, top].map((v) => [
    svg('line', { x1: LEFT, x2: WIDTH - RIGHT, y1: y(v), y2: y(v), class: 'chart-grid' }),
    svg('text', { x: LEFT - 4, y: y(v) + 4, 'text-anchor': 'end', class: 'chart-label' }, [spec.format(v)]),
  ]);
  const chart = svg(
    'svg',
    { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': summary, class: 'chart-svg' },
    [
      ...grid.flat(),
      first ? svg('text', { x: LEFT, y: HEIGHT - 6, class: 'chart-label' }, [`${clock(first)} UTC`]) : svg('g', {}),
      lastBucket
        ? svg('text', { x: WIDTH - RIGHT, y: HEIGHT - 6, 'text-anchor': 'end', class: 'chart-label' }, [
            `${clock(lastBucket)} UTC`,
          ])
        : svg('g', {}),
      svg('path', { d: d.trim() || 'M0 0', class: present.length ? 'chart-line' : 'chart-line empty' }),
      // A value with empty buckets on both sides has no line: a dot.
      ...values.flatMap((v, i) =>
        v !== null && (values[i - 1] ?? null) === null && (values[i + 1] ?? null) === null
          ? [svg('circle', { cx: x(i), cy: y(v), r: 2.5, class: 'chart-dot' })]
          : [],
      ),
    ],
  );
  return h(
    'figure',
    {
      class: 'chart',
      'data-chart': spec.id,
      'data-values': values.map((v) => (v === null ? '' : String(v))).join(','),
    },
    h(
      'figcaption',
      {},
      h('strong', {}, spec.title),
      h('span', { class: 'hint' }, present.length ? ` ${summary.slice(spec.title.length + 2)}` : ' no requests'),
    ),
    chart,
  );
}

/** Two significant digits or so: 12, 2.5, 0.08. @param {number} n */
export function perSecond(n) {
  if (n >= 10 || n === 0) return n.toFixed(0);
  return n >= 1 ? n.toFixed(1) : n.toFixed(2);
}
/** @param {number} n */
export const percent = (n) => `${(n * 100).toFixed(n >= 0.1 || n === 0 ? 0 : 1)}%`;
/** @param {number} n */
export const millis = (n) => `${Math.round(n)} ms`;

/**
 * The three charts of one series: requests/s, error rate, p95 latency.
 * @param {{ buckets: any[] }} series
 */
export function seriesCharts(series) {
  return h(
    'div',
    { class: 'charts' },
    lineChart({
      title: 'Requests/s',
      id: 'requests',
      buckets: series.buckets,
      value: (b) => b.requests_per_s,
      format: perSecond,
    }),
    lineChart({
      title: 'Error rate',
      id: 'errors',
      buckets: series.buckets,
      value: (b) => (b.requests ? b.error_rate : null),
      format: percent,
    }),
    lineChart({ title: 'p95 latency', id: 'p95', buckets: series.buckets, value: (b) => b.p95_ms, format: millis }),
  );
}
