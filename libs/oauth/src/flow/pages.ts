import { ConsentRequestRecord } from './flow.records';

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1f2328}
h1{font-size:1.4rem}code{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px}
ul{padding-left:1.2rem}button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem;border-radius:6px;border:1px solid #d0d7de;cursor:pointer}
button.approve{background:#1f883d;color:#fff;border-color:#1f883d}`;

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escape(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

export function errorPage(title: string, message: string): string {
  return layout(title, `<h1>${escape(title)}</h1><p>${escape(message)}</p>`);
}

const codes = (scopes: string[]) => scopes.map((s) => `<code>${escape(s)}</code>`).join(', ');

/**
 * The approval page: client name, redirect host and scopes; the form carries the CSRF token. On a
 * step-up it lists only the scopes not approved yet and names those already allowed.
 */
export function consentPage(consent: ConsentRequestRecord): string {
  const { request, user } = consent;
  const host = new URL(request.redirect_uri).host;
  const already = consent.already_approved ?? [];
  const scopes = request.scopes
    .filter((s) => !already.includes(s))
    .map((s) => `<li><code>${escape(s)}</code></li>`)
    .join('');
  const allowed = already.length ? `<p>Already allowed: ${codes(already)}</p>` : '';
  const resources = request.resources.length ? `<p>For: ${codes(request.resources)}</p>` : '';
  const membership = membershipSentence(consent.memberships);
  return layout(
    'Authorize application',
    `<h1>Authorize ${escape(request.client_name)}?</h1>
<p>Signed in with GitHub as <strong>${escape(user.login)}</strong>.</p>${membership}
<p><strong>${escape(request.client_name)}</strong> will receive access on your behalf and will be sent back to <code>${escape(host)}</code>.</p>
<p>${already.length ? 'New permissions' : 'Permissions'}:</p><ul>${scopes || '<li>none</li>'}</ul>${allowed}${resources}
<form method="post" action="/consent">
<input type="hidden" name="id" value="${escape(consent.id)}">
<input type="hidden" name="csrf_token" value="${escape(consent.csrf_token)}">
<button class="approve" type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`,
  );
}

/** "You may use this as a member of the organisation acme and the team acme/platform." (or nothing). */
function membershipSentence(memberships: { orgs: string[]; teams: string[] } | undefined): string {
  const parts = [
    ...(memberships?.orgs ?? []).map((o) => `the organisation <code>${escape(o)}</code>`),
    ...(memberships?.teams ?? []).map((t) => `the team <code>${escape(t)}</code>`),
  ];
  if (parts.length === 0) return '';
  const list = parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
  return `\n<p>You may use this as a member of ${list}.</p>`;
}
