/** The sandbox's HTML: the consent page and error pages, self-contained and escaped. */
import { htmlReply, type Reply } from './sandbox-http.js';

// ---------------------------------------------------------------------------------------------
// HTML
// ---------------------------------------------------------------------------------------------

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

const PAGE_CSS = `
  :root { color-scheme: light; }
  * { box-sizing: border-box; }
  body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
    font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #f3f1ee; color: #1a1a1a; }
  main { width: min(440px, calc(100vw - 32px)); background: #fff; border-radius: 12px; padding: 28px;
    box-shadow: 0 1px 3px rgba(0,0,0,.08), 0 8px 24px rgba(0,0,0,.06); }
  .badge { display: inline-block; font-size: 12px; font-weight: 600; letter-spacing: .03em; text-transform: uppercase;
    color: #7a4a00; background: #fff1cc; border: 1px solid #f0d48a; border-radius: 999px; padding: 2px 10px; }
  h1 { font-size: 20px; line-height: 1.3; margin: 16px 0 8px; }
  p { margin: 8px 0; }
  .muted { color: #5f5f5f; font-size: 13px; }
  dl { margin: 16px 0; display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; font-size: 14px; }
  dt { color: #5f5f5f; }
  dd { margin: 0; overflow-wrap: anywhere; }
  code { font: 13px ui-monospace, SFMono-Regular, Menlo, monospace; }
  .actions { display: flex; gap: 12px; justify-content: flex-end; margin-top: 24px; }
  button { font: inherit; font-weight: 600; border-radius: 8px; padding: 8px 20px; cursor: pointer; border: 1px solid #c9c9c9;
    background: #fff; color: #1a1a1a; }
  button.primary { background: #1f5eff; border-color: #1f5eff; color: #fff; }
  button:focus-visible { outline: 3px solid #8fb0ff; outline-offset: 2px; }
`;

function page(title: string, content: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${PAGE_CSS}</style>
</head>
<body>
<main>
<span class="badge">Intercom sandbox</span>
${content}
</main>
</body>
</html>
`;
}

interface ConsentView {
  appName: string;
  clientId: string;
  workspaceName: string;
  adminName: string;
  adminEmail: string;
  redirectUri: string;
  state: string;
}

export function consentPage(v: ConsentView): string {
  const target = new URL(v.redirectUri).origin;
  // A plain form (no JavaScript: the CSP forbids scripts anyway). Both buttons submit the same
  // form; the pressed one's name/value pair carries the decision. Deny comes first in the DOM so
  // that an implicit submission (Enter) is the safe choice.
  return page(
    `Authorize ${v.appName} — Intercom sandbox`,
    `<h1>${escapeHtml(v.appName)} wants to access your Intercom workspace ${escapeHtml(v.workspaceName)}</h1>
<p class="muted">This is a local stand-in for Intercom's authorization page. No real Intercom account is involved.</p>
<dl>
<dt>App</dt><dd>${escapeHtml(v.appName)} <span class="muted">(client_id <code>${escapeHtml(v.clientId)}</code>)</span></dd>
<dt>Workspace</dt><dd>${escapeHtml(v.workspaceName)}</dd>
<dt>Signed in as</dt><dd>${escapeHtml(v.adminName)} <span class="muted">${escapeHtml(v.adminEmail)}</span></dd>
<dt>Returns to</dt><dd><code>${escapeHtml(target)}</code></dd>
</dl>
<form method="post" action="/oauth/decision">
<input type="hidden" name="client_id" value="${escapeHtml(v.clientId)}">
<input type="hidden" name="state" value="${escapeHtml(v.state)}">
<input type="hidden" name="redirect_uri" value="${escapeHtml(v.redirectUri)}">
<div class="actions">
<button type="submit" name="decision" value="deny">Deny</button>
<button type="submit" name="decision" value="approve" class="primary">Approve</button>
</div>
</form>`,
  );
}

export function errorPage(status: number, message: string): Reply {
  return htmlReply(
    status,
    page(`${message} — Intercom sandbox`, `<h1>${escapeHtml(message)}</h1>
<p class="muted">The authorization request was rejected. Fix the request and start again.</p>`),
  );
}

