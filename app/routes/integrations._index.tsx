import { json, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData, useLocation, type ShouldRevalidateFunction } from '@remix-run/react';
import { useEffect, useId, useState } from 'react';
import { AppShell } from '~/components/AppShell';
import { CatalogSection } from '~/components/catalog/CatalogSection';
import { catalogCategories } from '~/components/catalog/categories.server';
import { filterCatalog, groupCatalog, MAX_QUERY_LENGTH, normalizeQuery } from '~/components/catalog/filter';
import { Button } from '~/components/ui/button';
import { Input, Label } from '~/components/ui/field';
import { PageHeader } from '~/components/ui/page-header';
import { callOrThrow, getCaller, requireSession } from '~/lib/trpc.server';

export const meta: MetaFunction = () => [{ title: 'Integrations · Plugboard' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = requireSession(request, context);
  const catalog = await callOrThrow(request, () => getCaller(context).catalog.list());
  return json({
    user: { email: session.email, role: session.role, tenantName: session.tenantName },
    catalog,
    categories: catalogCategories,
  });
}

/** The catalog is all in the loader's data: a new search needs no new request. */
export const shouldRevalidate: ShouldRevalidateFunction = ({ currentUrl, nextUrl, formMethod, defaultShouldRevalidate }) => {
  if (!formMethod && currentUrl.pathname === nextUrl.pathname) {
    const strip = (url: URL) => {
      const params = new URLSearchParams(url.search);
      params.delete('q');
      return params.toString();
    };
    if (strip(currentUrl) === strip(nextUrl)) return false;
  }
  return defaultShouldRevalidate;
};

/** ?q= from a location's search string. */
function queryOf(search: string): string {
  return normalizeQuery(new URLSearchParams(search).get('q'));
}

export default function Integrations() {
  const { user, catalog, categories } = useLoaderData<typeof loader>();
  const location = useLocation();
  const urlQuery = queryOf(location.search);
  // The URL is the source of truth: the server renders ?q=, and a navigation (back, "Show all") resets the box.
  const [query, setQuery] = useState(urlQuery);
  useEffect(() => setQuery(urlQuery), [urlQuery]);

  const onType = (value: string) => {
    setQuery(value);
    // Keep the address shareable while typing, without a navigation per key (which would refetch
    // and move focus): replace the entry in place, keeping the router's own history state.
    const url = new URL(window.location.href);
    const q = normalizeQuery(value);
    if (q) url.searchParams.set('q', q);
    else url.searchParams.delete('q');
    window.history.replaceState(window.history.state, '', `${url.pathname}${url.search}${url.hash}`);
  };

  const q = normalizeQuery(query);
  const matches = filterCatalog(catalog, q, categories);
  const { available, comingSoon } = groupCatalog(matches, categories);
  const searchId = useId();

  return (
    <AppShell user={user}>
      <PageHeader title="Integrations" description={`Connect ${user.tenantName}'s third-party accounts.`} />

      <Form method="get" role="search" aria-label="Integrations" className="mb-6 flex max-w-xl flex-col gap-1.5">
        <Label htmlFor={searchId}>Search integrations</Label>
        <div className="flex gap-2">
          <Input
            id={searchId}
            type="search"
            name="q"
            value={query}
            onChange={(e) => onType(e.currentTarget.value)}
            maxLength={MAX_QUERY_LENGTH}
            placeholder="Name, use or category"
            autoComplete="off"
            className="min-w-0 flex-1"
          />
          <Button type="submit" variant="secondary">
            Search
          </Button>
        </div>
      </Form>

      {/* Announced as the list changes while typing; the empty result has its own visible box. */}
      <p role="status" className={q && matches.length > 0 ? 'mb-4 text-sm text-muted-foreground' : 'sr-only'}>
        {q
          ? matches.length === 0
            ? `No integrations match “${q}”.`
            : `${matches.length} ${matches.length === 1 ? 'integration matches' : 'integrations match'} “${q}”.`
          : ''}
      </p>

      {q && matches.length === 0 ? (
        <div data-empty-result className="rounded-lg border border-dashed border-border bg-card p-6">
          <h2 className="text-lg font-bold">No integrations match “{q}”</h2>
          <p className="mt-1 text-sm text-muted-foreground">Try another name, or a category such as “engineering” or “support”.</p>
          <p className="mt-3">
            <Link to="/integrations" className="font-semibold">
              Show all integrations
            </Link>
          </p>
        </div>
      ) : null}

      {available.length > 0 ? (
        <CatalogSection
          id="available"
          title="Available now"
          description="Connect these today."
          groups={available}
        />
      ) : null}

      {comingSoon.length > 0 ? (
        <CatalogSection
          id="coming-soon"
          title="Coming soon"
          description="Not ready to connect yet."
          groups={comingSoon}
          secondary
        />
      ) : null}
    </AppShell>
  );
}

