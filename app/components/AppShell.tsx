import { Form, Link } from '@remix-run/react';
import type { ReactNode } from 'react';

interface Props {
  user: { email: string; role: string; tenantName: string };
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
          <span>
            {user.tenantName} · {user.email} ({user.role})
          </span>
          <Form method="post" action="/logout">
            <button type="submit" className="secondary">
              Sign out
            </button>
          </Form>
        </div>
      </header>
      <main className="page">{children}</main>
    </>
  );
}
