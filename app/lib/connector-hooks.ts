/**
 * Typed React Query hooks over the connector procedures, for live status after the loader's
 * first render. Every routed connector has the same procedures, so the hooks are generic;
 * `useIntercomStatus` and `useIntercomDisconnect` are the named shortcuts.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo } from 'react';
import type { RoutedConnectorId } from '../../server/trpc/router';
import type { ConnectorStatus } from '../../server/trpc/schemas';
import { useTRPC } from './trpc';

/**
 * `follow`: a connect is being finished in the background (the callback said so), so poll until
 * it shows, for a minute at most. A status that says `finishing` is always followed.
 */
export function useConnectorStatus(connector: RoutedConnectorId, loaderData?: ConnectorStatus, follow = false) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // When the loader's data arrived (a navigation or a revalidation): it is the truth then, and
  // wins over anything the cache held from before (another tab may have changed the connection).
  const arrivedAt = useMemo(() => Date.now(), [loaderData]);
  useEffect(() => {
    if (loaderData) queryClient.setQueryData(trpc[connector].status.queryKey(), loaderData);
  }, [loaderData, connector, queryClient, trpc]);
  const query = useQuery(
    trpc[connector].status.queryOptions(undefined, {
      initialData: loaderData,
      initialDataUpdatedAt: arrivedAt,
      // Always refetched on focus: the status is one indexed query.
      staleTime: 0,
      refetchInterval: (q) => {
        const data = q.state.data;
        const waiting = data?.finishing || (follow && !data?.connected && q.state.dataUpdateCount < 30);
        return waiting ? 2000 : false;
      },
    }),
  );
  const data = loaderData && query.dataUpdatedAt < arrivedAt ? loaderData : query.data;
  return { ...query, data };
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

/**
 * "Check connection": the answer is the new status, so it replaces the cached one at once; the
 * events (a health change is one) and the catalog's badge are refetched.
 */
export function useConnectorCheck(connector: RoutedConnectorId) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return useMutation(
    trpc[connector].check.mutationOptions({
      onSuccess: (status) => queryClient.setQueryData(trpc[connector].status.queryKey(), status),
      onSettled: async () => {
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc[connector].events.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.catalog.list.queryKey() }),
        ]);
      },
    }),
  );
}

export const useIntercomStatus = (initialData?: ConnectorStatus) => useConnectorStatus('intercom', initialData);
export const useIntercomDisconnect = () => useConnectorDisconnect('intercom');
