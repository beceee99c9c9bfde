// The navigation: pages without a group first (Overview, Add an MCP server), then the groups in
// NAV_GROUPS order. On narrow screens (app.css) it collapses behind the Menu button in the top bar.
import { h } from './dom.js';

/** The groups, in the order shown. A page names its group (pages.js, PAGES). */
export const NAV_GROUPS = /** @type {const} */ (['Traffic', 'Security', 'Operations']);
/** @typedef {typeof NAV_GROUPS[number]} NavGroup */

/**
 * @param {{ id: string, title: string, group?: NavGroup }[]} pages  the pages the caller may see, in PAGES order
 * @param {string} currentId
 * @returns {HTMLElement[]}  the lists to put in the nav element
 */
export function navLists(pages, currentId) {
  /** @param {{ id: string, title: string }} p */
  const item = (p) =>
    h('li', {}, h('a', { href: `#/${p.id}`, 'aria-current': p.id === currentId ? 'page' : undefined }, p.title));
  const top = pages.filter((p) => !p.group);
  const groups = NAV_GROUPS.map((group) => ({ group, members: pages.filter((p) => p.group === group) })).filter(
    (g) => g.members.length > 0,
  );
  return [
    h('ul', { class: 'nav-top' }, ...top.map(item)),
    ...groups.map(({ group, members }) => {
      const id = `nav-group-${group.toLowerCase()}`;
      return h(
        'div',
        { class: 'nav-group' },
        h('span', { class: 'nav-group-label', id }, group),
        h('ul', { 'aria-labelledby': id }, ...members.map(item)),
      );
    }),
  ];
}

/**
 * Wires the Menu button (shown on narrow screens only) to open and close the navigation.
 * @param {HTMLButtonElement} button
 * @param {HTMLElement} nav
 */
export function wireMenuButton(button, nav) {
  button.addEventListener('click', () => setMenuOpen(button, nav, button.getAttribute('aria-expanded') !== 'true'));
}

/**
 * @param {HTMLButtonElement} button
 * @param {HTMLElement} nav
 * @param {boolean} open
 */
export function setMenuOpen(button, nav, open) {
  button.setAttribute('aria-expanded', String(open));
  nav.classList.toggle('open', open);
}

/** Narrow screens (the same width as app.css): tables scroll sideways inside themselves. */
const NARROW = '(max-width: 760px)';

/**
 * A table that scrolls must be reachable from the keyboard (to scroll it): on narrow screens every
 * table under `root` is a tab stop, as the pages render them; on wide ones (they wrap) none is.
 * @param {HTMLElement} root
 */
export function keyboardScrollableTables(root) {
  const narrow = window.matchMedia(NARROW);
  const apply = () => {
    for (const table of root.querySelectorAll('table')) {
      if (narrow.matches) table.setAttribute('tabindex', '0');
      else table.removeAttribute('tabindex');
    }
  };
  new MutationObserver(apply).observe(root, { childList: true, subtree: true });
  narrow.addEventListener('change', apply);
}
