import { json, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { AppShell } from '~/components/AppShell';
import { ConnectorIcon } from '~/components/ConnectorIcon';
import { StatusBadge } from '~/components/StatusBadge';
import { callOrThrow, getCaller, requireSession } from '~/lib/trpc.server';

export const meta: MetaFunction = () => [{ title: 'Integrations · Plugboard' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = requireSession(request, context);
  const catalog = await callOrThrow(request, () => getCaller(context).catalog.list());
  return json({
    user: { email: session.email, role: session.role, tenantName: session.tenantName },
    catalog,
  });
}

export default function Integrations() {
  const { user, catalog } = useLoaderData<typeof loader>();
  return (
    <AppShell user={user}>
      <h1>Integrations</h1>
      <p className="tagline">Connect {user.tenantName}&apos;s third-party accounts.</p>
      <ul className="grid" aria-label="Integrations catalog">
        {catalog.map((c) => {
          const body = (
            <>
              <div className="connector-head">
                <ConnectorIcon name={c.name} brandColor={c.brandColor} icon={c.icon} />
                <h2>{c.name}</h2>
              </div>
              <p className="tagline">{c.tagline}</p>
              <StatusBadge status={c.status} />
              {c.accountName ? <p className="tagline">Workspace: {c.accountName}</p> : null}
            </>
          );
          return (
            <li key={c.id} data-connector={c.id}>
              {c.availability === 'available' ? (
                <Link
                  to={`/integrations/${c.id}`}
                  className="card connector-card"
                  style={{ ['--brand' as string]: c.brandColor }}
                >
                  {body}
                </Link>
              ) : (
                <div
                  className="card connector-card"
                  style={{ ['--brand' as string]: c.brandColor }}
                  aria-disabled="true"
                >
                  {body}
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </AppShell>
  );
}
