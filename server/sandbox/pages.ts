/** The sandbox's consent and error pages: self-contained HTML, every value escaped, no script. */
import type { Reply } from './http.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escape = (value: string) => value.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);

const CSS = `body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;font:15px/1.5 system-ui,sans-serif;background:#f3f2f7;color:#1a1a1a}
main{width:min(440px,calc(100vw - 32px));background:#fff;border-radius:12px;padding:28px;box-shadow:0 8px 24px rgba(0,0,0,.08)}
.badge{font-size:12px;font-weight:600;text-transform:uppercase;color:#5a3d00;background:#fff1cc;border-radius:999px;padding:2px 10px}
h1{font-size:20px;margin:16px 0 8px}.muted{color:#5f5f5f;font-size:13px}dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px}dt{color:#5f5f5f}dd{margin:0;overflow-wrap:anywhere}
.actions{display:flex;gap:12px;justify-content:flex-end;margin-top:24px}button{font:inherit;font-weight:600;border-radius:8px;padding:8px 20px;border:1px solid #c9c9c9;background:#fff;cursor:pointer}
button.primary{background:#5e6ad2;border-color:#5e6ad2;color:#fff}
fieldset{border:1px solid #c9c9c9;border-radius:8px;margin:16px 0 0;padding:8px 12px}legend{font-weight:600;padding:0 4px}`;

/** A sandbox page: the shared look, headers and escaping rules; `content` is trusted HTML. */
export function html(status: number, provider: string, title: string, content: string): Reply {
  return {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      // form-action must allow the redirect to the app's callback: browsers apply it to redirects.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action *",
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cache-control': 'no-store',
    },
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>${escape(title)}</title><style>${CSS}</style></head>
<body><main><span class="badge">${escape(provider)} sandbox</span>
${content}
</main></body></html>`,
  };
}

export interface ConsentView {
  provider: string;
  accountName: string;
  clientId: string;
  scopes: readonly string[];
  redirectUri: string;
  consentId: string;
  decisionPath: string;
  /** Scopes the user may untick (the profile's `scopeChoice`): checkboxes named `grant`, ticked. */
  choosable?: readonly string[];
}

export function consentPage(v: ConsentView): Reply {
  const choosable = v.choosable ?? [];
  const fixed = v.scopes.filter((scope) => !choosable.includes(scope));
  const choice = choosable.length
    ? `<fieldset><legend>Choose what Plugboard can access</legend>${choosable
        .map((scope, i) => `<div><input type="checkbox" id="grant-${i}" name="grant" value="${escape(scope)}" checked> <label for="grant-${i}">${escape(scope)}</label></div>`)
        .join('')}</fieldset>`
    : '';
  // Deny comes first so that Enter (implicit submission) is the safe choice.
  return html(
    200,
    v.provider,
    `Authorize — ${v.provider} sandbox`,
    `<h1>Plugboard wants to access your ${escape(v.provider)} workspace ${escape(v.accountName)}</h1>
<p class="muted">A local stand-in for ${escape(v.provider)}'s consent page. No real account is involved.</p>
<dl><dt>Client</dt><dd>${escape(v.clientId)}</dd><dt>Scopes</dt><dd>${escape(fixed.join(', ') || (choosable.length ? '(only those chosen below)' : '(none)'))}</dd>
<dt>Returns to</dt><dd>${escape(new URL(v.redirectUri).origin)}</dd></dl>
<form method="post" action="${escape(v.decisionPath)}"><input type="hidden" name="consent" value="${escape(v.consentId)}">
${choice}<div class="actions"><button type="submit" name="decision" value="deny">Deny</button>
<button type="submit" name="decision" value="approve" class="primary">Approve</button></div></form>`,
  );
}

export function errorPage(provider: string, status: number, message: string): Reply {
  return html(status, provider, `${message} — ${provider} sandbox`, `<h1>${escape(message)}</h1>
<p class="muted">The authorization request was refused. Start again from the app.</p>`);
}
