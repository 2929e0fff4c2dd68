import { Form, Link } from '@remix-run/react';
import type { ReactNode } from 'react';

export interface ShellUser {
  email: string;
  role: string;
  tenantName: string;
}

interface Props {
  /** The signed-in user; null on pages anyone may see (error pages), which offer sign-in instead. */
  user: ShellUser | null;
  children: ReactNode;
}

export function AppShell({ user, children }: Props) {
  return (
    <>
      <header className="topbar">
        <Link to="/integrations" className="brand">
          Plugboard
        </Link>
        <div className="who">
          {user ? (
            <>
              <span>
                {user.tenantName} · {user.email} ({user.role})
              </span>
              <Form method="post" action="/logout">
                <button type="submit" className="secondary">
                  Sign out
                </button>
              </Form>
            </>
          ) : (
            <Link to="/login">Sign in</Link>
          )}
        </div>
      </header>
      <main className="page">{children}</main>
    </>
  );
}
