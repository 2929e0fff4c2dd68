import { json, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import {
  isRouteErrorResponse,
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  useLoaderData,
  useRouteError,
  useRouteLoaderData,
} from '@remix-run/react';
import { lazy, Suspense, type ReactNode } from 'react';
import { ERROR_TITLE, ErrorPage, NOT_FOUND_TITLE } from './components/ErrorPage';
import { readFlash } from './lib/flash.server';
import { useNonce } from './lib/nonce';
import styles from './styles/tailwind.css';
import { useHydrated } from './utils/use-hydrated';
import { useRouteFocus } from './utils/use-route-focus';

export const links: LinksFunction = () => [
  { rel: 'stylesheet', href: styles },
  { rel: 'icon', href: '/favicon.svg', type: 'image/svg+xml' },
];

/**
 * Who is signed in, for the app shell around error pages: when a route's loader fails, its
 * own data is gone, but the root's is still there. No query: the session is in the context.
 * Also the one-time flash notice, read here once and cleared by the returned Set-Cookie.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = context.session;
  const { flash, headers } = await readFlash(request);
  return json(
    {
      user: session ? { email: session.email, role: session.role, tenantName: session.tenantName } : null,
      flash,
    },
    { headers },
  );
}

/** Routes set their own titles; when an error reaches this boundary, Remix asks the root only. */
export const meta: MetaFunction = ({ error }) => {
  if (error === undefined) return [{ title: 'Plugboard' }];
  return [{ title: isRouteErrorResponse(error) && error.status === 404 ? NOT_FOUND_TITLE : ERROR_TITLE }];
};

/** The Radix toast is fetched only when a notice is to be shown: most pages never need it. */
const FlashNotice = lazy(() => import('./components/ui/toast'));

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce();
  // Here rather than in App: the layout stays mounted across error pages, so leaving a 404 for
  // a working page still moves focus to the new heading.
  const announcement = useRouteFocus();
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        {children}
        <div aria-live="polite" aria-atomic="true" className="sr-only" data-testid="route-announcer">
          {announcement}
        </div>
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  const { flash } = useLoaderData<typeof loader>();
  const hydrated = useHydrated();
  return (
    <>
      <Outlet />
      {/* Without JavaScript the app shell shows the notice as an Alert instead. */}
      {hydrated && flash ? (
        <Suspense fallback={null}>
          <FlashNotice key={flash.id} tone={flash.tone} text={flash.text} />
        </Suspense>
      ) : null}
    </>
  );
}

/**
 * Every error page, inside the app shell. A thrown Response's text is shown (routes build it
 * from user-facing messages); the router's own responses and thrown errors are not: an Error's
 * message can hold SQL and values, and in development Remix would pass it through.
 */
export function ErrorBoundary() {
  const error = useRouteError();
  const user = useRouteLoaderData<typeof loader>('root')?.user ?? null;
  if (isRouteErrorResponse(error)) {
    const internal = (error as { internal?: boolean }).internal === true;
    const message = !internal && typeof error.data === 'string' && error.data.trim() !== '' ? error.data : undefined;
    return <ErrorPage user={user} status={error.status} message={message} />;
  }
  return <ErrorPage user={user} status={500} />;
}
