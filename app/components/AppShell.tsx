import { Form, Link, useLocation, useRouteLoaderData } from '@remix-run/react';
import type { ReactNode } from 'react';
import type { loader as rootLoader } from '~/root';
import { useHydrated } from '~/utils/use-hydrated';
import { Alert } from './ui/alert';
import { Button } from './ui/button';

export interface ShellUser {
  email: string;
  role: string;
  tenantName: string;
}

interface Props {
  /** The signed-in user; null on pages anyone may see (error pages), which offer sign-in instead. */
  user: ShellUser | null;
  children: ReactNode;
  /** The width of the page column: `narrow` for single forms (sign-in). */
  width?: 'wide' | 'narrow';
}

/**
 * Header, skip link and the one <main id="main">. The header wraps rather than overflows: at
 * 320 px the tenant and user drop below the brand and long values break anywhere.
 */
export function AppShell({ user, children, width = 'wide' }: Props) {
  const flash = useRouteLoaderData<typeof rootLoader>('root')?.flash ?? null;
  // With JavaScript the root shows the notice as a toast; without, it is part of the page.
  const hydrated = useHydrated();
  const onLoginPage = useLocation().pathname === '/login';
  return (
    <>
      <a
        href="#main"
        className="sr-only z-50 rounded-md bg-card px-4 py-2 font-semibold text-primary shadow focus:not-sr-only focus:fixed focus:left-2 focus:top-2"
      >
        Skip to content
      </a>
      <header className="topbar">
        <div className="mx-auto flex max-w-[1080px] flex-wrap items-center justify-between gap-x-4 gap-y-2 px-4 py-3 sm:px-6">
          <Link to="/integrations" className="flex items-center gap-2 font-bold text-foreground no-underline">
            <img src="/favicon.svg" alt="" width={24} height={24} />
            Plugboard
          </Link>
          <div className="flex min-w-0 flex-wrap items-center gap-x-3 gap-y-1 text-sm text-muted-foreground">
            {user ? (
              <>
                <span className="min-w-0 [overflow-wrap:anywhere]">
                  {user.tenantName} · {user.email} ({user.role})
                </span>
                <Form method="post" action="/logout">
                  <Button type="submit" variant="secondary" size="sm">
                    Sign out
                  </Button>
                </Form>
              </>
            ) : onLoginPage ? null : (
              <Link to="/login" className="font-semibold">
                Sign in
              </Link>
            )}
          </div>
        </div>
      </header>
      <main
        id="main"
        tabIndex={-1}
        className={width === 'narrow' ? 'page mx-auto max-w-[440px] px-4 py-6 sm:px-6' : 'page px-4 py-6 sm:px-6'}
      >
        {flash && !hydrated ? (
          <Alert tone={flash.tone} className="mb-4" data-flash={flash.id}>
            {flash.text}
          </Alert>
        ) : null}
        {children}
      </main>
    </>
  );
}
