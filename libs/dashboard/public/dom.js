// Tiny DOM helpers. Text always goes in as text nodes: data from the API is never parsed as HTML.

/**
 * @typedef {Node | string | number | boolean | null | undefined} Child  false, null and undefined add nothing
 * @typedef {Child | Child[]} Children
 */

/**
 * h('button', { class: 'primary', onclick: fn }, 'Save')
 * @template {string} K
 * @param {K} tag
 * @param {Record<string, unknown>} [attrs]  on* functions become listeners; true is an empty attribute; false, null, undefined are left out
 * @param {...Children} children
 * @returns {K extends keyof HTMLElementTagNameMap ? HTMLElementTagNameMap[K] : HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function')
      el.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    else if (key === 'class') el.className = String(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return /** @type {any} */ (el);
}

/**
 * Text for a table cell or a fact: '-' for nothing, lists joined, objects as JSON.
 * @param {unknown} value
 * @returns {string}
 */
export function text(value) {
  if (value === null || value === undefined || value === '') return '-';
  if (Array.isArray(value)) return value.length ? value.join(', ') : '-';
  if (typeof value === 'object') return Object.keys(value).length ? JSON.stringify(value) : '-';
  return String(value);
}

let idCounter = 0;
/** @param {string} prefix */
export const uid = (prefix) => `${prefix}-${++idCounter}`;
