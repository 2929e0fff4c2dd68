import { Link } from '@remix-run/react';
import { AppShell, type ShellUser } from './AppShell';
import { Card } from './ui/card';
import { Button } from './ui/button';

export const NOT_FOUND_TITLE = 'Page not found · Plugboard';
export const ERROR_TITLE = 'Something went wrong · Plugboard';

interface Props {
  user: ShellUser | null;
  /** 404 gets the not-found page; anything else the generic error page. */
  status: number;
  /**
   * A message that is safe to show (a thrown Response's text, which routes build from
   * user-facing tRPC messages). Never an Error's message: those can hold SQL and values.
   */
  message?: string;
}

/** The one design for "not found" and "something went wrong", inside the normal app shell. */
export function ErrorPage({ user, status, message }: Props) {
  const notFound = status === 404;
  return (
    <AppShell user={user}>
      <Card className="mx-auto flex max-w-xl flex-col gap-4 [&>h1]:text-2xl [&>h1]:font-bold">
        <p className="text-sm font-semibold text-muted-foreground">Error {status}</p>
        <h1>{notFound ? 'Page not found' : 'Something went wrong'}</h1>
        <p role={notFound ? undefined : 'alert'}>
          {message ??
            (notFound
              ? 'There is nothing at this address. The link may be mistyped, or the page may have moved.'
              : 'We could not show this page because of a problem on our side. Please try again in a moment.')}
        </p>
        <p>
          <Button asChild variant="secondary">
            <Link to="/integrations">Back to integrations</Link>
          </Button>
        </p>
      </Card>
    </AppShell>
  );
}
