/**
 * React Query and the typed tRPC client, for the live layer of the connector page
 * (app/components/connector/LiveConnection.tsx, fetched after hydration). Not in the root and
 * not in any page's first download: pages render from their loaders, and each route's
 * JavaScript stays within its 120 KB budget.
 *
 * One client pair per browser tab, kept across navigations so the cache survives leaving the
 * page; on the server a new pair per render, so no request sees another's data.
 */
import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { makeQueryClient, makeTRPCClient, TRPCProvider } from './trpc';

let browserClients: { queryClient: QueryClient; trpcClient: ReturnType<typeof makeTRPCClient> } | undefined;

function clients() {
  if (typeof document === 'undefined') return { queryClient: makeQueryClient(), trpcClient: makeTRPCClient() };
  browserClients ??= { queryClient: makeQueryClient(), trpcClient: makeTRPCClient() };
  return browserClients;
}

export function QueryProviders({ children }: { children: ReactNode }) {
  const { queryClient, trpcClient } = clients();
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
