// Tiny DOM helpers. Text always goes in as text nodes: data from the API is never parsed as HTML.

/** h('button', { class: 'primary', onclick: fn }, 'Save') */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Text for a table cell or a fact: '-' for nothing, lists joined, objects as JSON. */
export function text(value) {
  if (value === null || value === undefined || value === '') return '-';
  if (Array.isArray(value)) return value.length ? value.join(', ') : '-';
  if (typeof value === 'object') return Object.keys(value).length ? JSON.stringify(value) : '-';
  return String(value);
}

let idCounter = 0;
export const uid = (prefix) => `${prefix}-${++idCounter}`;
