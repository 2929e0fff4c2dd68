/**
 * Typed React Query hooks over the connector procedures, for live status after the loader's
 * first render. Every routed connector has the same procedures, so the hooks are generic;
 * `useIntercomStatus` and `useIntercomDisconnect` are the named shortcuts.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { RoutedConnectorId } from '../../server/trpc/router';
import type { ConnectorStatus } from '../../server/trpc/schemas';
import { useTRPC } from './trpc';

export function useConnectorStatus(connector: RoutedConnectorId, initialData?: ConnectorStatus) {
  const trpc = useTRPC();
  return useQuery(
    trpc[connector].status.queryOptions(undefined, {
      initialData,
      // While a change is being finished in the background, follow it until it lands.
      refetchInterval: (query) => (query.state.data?.finishing ? 2000 : false),
    }),
  );
}

/** Disconnects, then refreshes this connector's status, its events and the catalog. */
export function useConnectorDisconnect(connector: RoutedConnectorId) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return useMutation(
    trpc[connector].disconnect.mutationOptions({
      onSettled: async () => {
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc[connector].status.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc[connector].events.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.catalog.list.queryKey() }),
        ]);
      },
    }),
  );
}

export const useIntercomStatus = (initialData?: ConnectorStatus) => useConnectorStatus('intercom', initialData);
export const useIntercomDisconnect = () => useConnectorDisconnect('intercom');
