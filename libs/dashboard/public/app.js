// The dashboard shell: sign-in, navigation and a hash router over PAGES (see pages.js).
import { api, ApiError, onUnauthorized, session } from './api.js';
import { h } from './dom.js';
import { PAGES } from './pages.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const sessionBox = document.getElementById('session');
let caller = null;

function signInPage(message) {
  nav.replaceChildren();
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

function signOut(message) {
  session.token = null;
  caller = null;
  signInPage(message);
}

function renderChrome(current) {
  const pages = PAGES.filter((p) => !p.admin || caller?.is_admin);
  nav.replaceChildren(
    h(
      'ul',
      {},
      ...pages.map((p) =>
        h('li', {}, h('a', { href: `#/${p.id}`, 'aria-current': p.id === current.id ? 'page' : undefined }, p.title)),
      ),
    ),
  );
  sessionBox.replaceChildren(
    h('span', {}, `Signed in as ${caller.name}${caller.is_admin ? ' (admin)' : ''}`),
    h('button', { type: 'button', onclick: () => signOut() }, 'Sign out'),
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
  const id = location.hash.replace(/^#\/?/, '') || 'health';
  const visible = PAGES.filter((p) => !p.admin || caller.is_admin);
  const page = visible.find((p) => p.id === id) ?? visible[0];
  renderChrome(page);
  document.title = `${page.title} - Proxy admin`;
  const container = h('section', { 'aria-labelledby': undefined });
  main.replaceChildren(container);
  await page.render(container);
  main.focus();
}

onUnauthorized((error) => signOut(`Signed out: ${error.message}`));
window.addEventListener('hashchange', () => void route());
void route();
