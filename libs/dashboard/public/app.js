// The dashboard shell: sign-in, navigation and a hash router over PAGES (see pages.js).
import { api, ApiError, onUnauthorized, session } from './api.js';
import { h } from './dom.js';
import { keyboardScrollableTables, navLists, setMenuOpen, wireMenuButton } from './nav.js';
import { PAGES } from './pages.js';

// index.html has these four.
const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));
const menuButton = /** @type {HTMLButtonElement} */ (document.getElementById('menu-button'));
wireMenuButton(menuButton, nav);
keyboardScrollableTables(main);
const sessionBox = /** @type {HTMLElement} */ (document.getElementById('session'));
/** @typedef {{ name: string, is_admin: boolean }} Caller  the answer of GET /api/v1/tokens/me */
/** @type {Caller | null} the signed-in token, null before sign-in */
let caller = null;

/** @param {string} [message]  why sign-in is asked again */
function signInPage(message) {
  nav.replaceChildren();
  menuButton.hidden = true;
  chromePage = undefined; // the next sign-in draws its first page with the menu closed
  sessionBox.replaceChildren();
  const input = h('input', {
    id: 'token-input',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    required: true,
    'aria-describedby': 'token-hint',
  });
  const errorBox = h('p', { class: 'error', role: 'alert', hidden: !message }, message ?? '');
  const form = h(
    'form',
    { class: 'card stack', 'aria-label': 'Sign in', novalidate: true },
    h('h1', {}, 'Sign in'),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'token-input' }, 'API token'),
      input,
      h(
        'span',
        { id: 'token-hint', class: 'hint' },
        'ADMIN_TOKEN or an API token (acm_...). Kept only in this browser tab.',
      ),
    ),
    errorBox,
    h('div', {}, h('button', { type: 'submit', class: 'primary' }, 'Sign in')),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) {
      errorBox.textContent = 'Enter a token.';
      errorBox.hidden = false;
      return;
    }
    try {
      caller = await api('GET', '/api/v1/tokens/me', undefined, token);
      session.token = token;
      await route();
    } catch (error) {
      errorBox.textContent =
        error instanceof ApiError && error.status === 401 ? `Sign-in refused: ${error.message}` : error.message;
      errorBox.hidden = false;
      input.focus();
    }
  });
  main.replaceChildren(form);
  input.focus();
}

/**
 * The Sign out button: the token goes, then the page is loaded afresh, so nothing a page of this
 * session still had in flight (a tile loading, a chart) runs on and asks with the next token.
 */
function signOutAndReload() {
  session.token = null;
  location.reload();
}

/** @param {string} [message] */
function signOut(message) {
  session.token = null;
  caller = null;
  signInPage(message);
}

/** The page the chrome was last drawn for. @type {string | undefined} */
let chromePage;

/**
 * @param {import('./pages.js').Page} current
 * @param {Caller} caller
 */
function renderChrome(current, caller) {
  const pages = PAGES.filter((p) => !p.admin || caller.is_admin);
  nav.replaceChildren(...navLists(pages, current.id));
  // Narrow screens: the menu starts closed on every page (the button shows it). The same page drawn
  // again (a second route() still finishing after the first) leaves it as the user set it.
  menuButton.hidden = false;
  if (current.id !== chromePage) setMenuOpen(menuButton, nav, false);
  chromePage = current.id;
  sessionBox.replaceChildren(
    h('span', {}, `Signed in as ${caller.name}${caller.is_admin ? ' (admin)' : ''}`),
    h('button', { type: 'button', onclick: () => signOutAndReload() }, 'Sign out'),
  );
  return pages;
}

async function route() {
  if (!session.token) return signInPage();
  if (!caller) {
    try {
      caller = await api('GET', '/api/v1/tokens/me');
    } catch (error) {
      return signOut(error.message);
    }
  }
  // A page's own parameters follow a '?' (#/logs?decision=denied-scope).
  const id = location.hash.replace(/^#\/?/, '').split('?')[0] || 'overview';
  const signedIn = /** @type {Caller} */ (caller); // set above
  const visible = PAGES.filter((p) => !p.admin || signedIn.is_admin);
  const page = visible.find((p) => p.id === id) ?? visible[0];
  renderChrome(page, signedIn);
  document.title = `${page.title} - Proxy admin`;
  const container = h('section', { 'aria-labelledby': undefined });
  main.replaceChildren(container);
  await page.render(container);
  main.focus();
}

onUnauthorized((error) => signOut(`Signed out: ${error.message}`));
window.addEventListener('hashchange', () => void route());
void route();
