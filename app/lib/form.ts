import { json } from '@remix-run/node';

/**
 * An action's fields, from a form post or from a JSON object (the HTTP edge admits both:
 * server/http/body-limits.ts), so any client can post either. A JSON body that is not an
 * object of plain values is a 400, never a 500.
 */
export async function readForm(request: Request): Promise<FormData> {
  if (!/^application\/json\b/i.test(request.headers.get('content-type') ?? '')) return request.formData();
  const body: unknown = await request.json().catch(() => undefined);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw json({ message: 'Send the fields as a JSON object.' }, { status: 400 });
  }
  const form = new FormData();
  for (const [name, value] of Object.entries(body)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') form.set(name, String(value));
    else throw json({ message: `Field "${name.slice(0, 64)}" must be a string.` }, { status: 400 });
  }
  return form;
}
