/**
 * Endpoint templates over a connection's settings (docs/decisions/012-connection-settings.md):
 * `https://{subdomain}.zendesk.com/oauth/tokens`. Placeholders may only stand in the host, in
 * front of a fixed suffix, and every filled value is checked twice: against a strict pattern
 * (DNS labels only) and, once the URL is built, its host must still end with that suffix. No
 * setting can point a request at another host, a path, a port or credentials.
 */

/** `{name}`: a placeholder over the connection's settings or its template values. */
const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_]*)\}/g;

/** One or more DNS labels (letters, digits, inner hyphens) joined by dots. */
const TEMPLATE_VALUE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const MAX_VALUE_LENGTH = 200;

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

/** The placeholder names of a template, in order. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

export function isTemplate(template: string): boolean {
  return placeholders(template).length > 0;
}

/**
 * The parts of a template: the scheme, the host with its placeholders, and the fixed suffix of
 * the host after the last placeholder (which must begin with a dot). Throws a TemplateError for a
 * template that puts a placeholder anywhere but the host, or leaves no fixed registrable suffix.
 */
export function templateShape(template: string): { scheme: string; host: string; suffix: string; rest: string } {
  const match = /^(https?):\/\/([^/?#]*)(.*)$/.exec(template);
  if (!match) throw new TemplateError(`not an absolute URL template: ${template}`);
  const [, scheme, host, rest] = match as unknown as [string, string, string, string];
  if (isTemplate(rest)) throw new TemplateError(`placeholders may only stand in the host: ${template}`);
  const lastClose = host.lastIndexOf('}');
  const suffix = lastClose === -1 ? host : host.slice(lastClose + 1);
  // At least two fixed labels after the last placeholder (".zendesk.com"), so the value can only
  // choose a subdomain of the provider's own domain.
  if (lastClose !== -1 && !/^(?:\.[a-z0-9-]+){2,}$/.test(suffix)) {
    throw new TemplateError(`a templated host must end with a fixed domain of two labels or more: ${template}`);
  }
  return { scheme, host, suffix, rest };
}

/** Checks one value a template may receive; throws a TemplateError naming the placeholder only. */
export function checkTemplateValue(name: string, value: string): void {
  if (value.length === 0 || value.length > MAX_VALUE_LENGTH || !TEMPLATE_VALUE.test(value)) {
    // The value itself is not repeated: it came from a form and goes to logs.
    throw new TemplateError(`the value for {${name}} is not a host name part`);
  }
}

/**
 * Fills a template from `values`. A template without placeholders comes back unchanged. Every
 * placeholder must have a value that passes checkTemplateValue, and the filled URL's host must
 * end with the template's fixed suffix.
 */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  if (!isTemplate(template)) return template;
  const { suffix } = templateShape(template);
  const filled = template.replace(PLACEHOLDER, (_whole, name: string) => {
    const value = Object.hasOwn(values, name) ? values[name] : undefined;
    if (value === undefined) throw new TemplateError(`no value for {${name}}`);
    checkTemplateValue(name, value);
    return value.toLowerCase();
  });
  let url: URL;
  try {
    url = new URL(filled);
  } catch {
    throw new TemplateError('the filled template is not a URL');
  }
  const expectedHost = /^https?:\/\/([^/?#]*)/.exec(filled)?.[1];
  if (url.username || url.password || url.port || url.hostname !== expectedHost || !url.hostname.endsWith(suffix)) {
    throw new TemplateError('the filled template leaves the provider domain');
  }
  return filled;
}
