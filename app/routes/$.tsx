/**
 * Any URL no other route matches: a 404 that the root ErrorBoundary renders inside the app
 * shell, instead of Remix's bare "No route matches URL" page. POSTs get a 404 too, not a 405.
 */
export function loader(): never {
  throw new Response(null, { status: 404, statusText: 'Not Found' });
}

export function action(): never {
  throw new Response(null, { status: 404, statusText: 'Not Found' });
}

// Never rendered (the loader always throws), but a component keeps this a UI route, so the
// error is rendered by the root boundary rather than sent as a bare resource response.
export default function NotFound() {
  return null;
}
