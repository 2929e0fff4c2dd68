/**
 * The connector page's live layer: React Query and the typed tRPC client, fetched after the page
 * has hydrated (a dynamic import), so the page's first download stays within its budget and the
 * page works, from its loader, before and without it.
 *
 * It renders nothing: it reports the live status and the "Check connection" mutation up to the
 * page through `onChange`, so the page's own tree (and the admin's focus in it) never remounts
 * when the layer arrives.
 */
import { useEffect } from 'react';
import type { RoutedConnectorId } from '../../../server/trpc/router';
import type { ConnectorStatus } from '../../../server/trpc/schemas';
import { useConnectorCheck, useConnectorStatus } from '~/lib/connector-hooks';
import { QueryProviders } from '~/lib/query-providers';

export interface LiveState {
  /** The loader's status this live status was computed against: stale once the loader answers again. */
  basedOn: ConnectorStatus;
  status: ConnectorStatus;
  check: {
    run: (onSettled: () => void) => void;
    pending: boolean;
    error: string | null;
    health: ConnectorStatus['health'] | null;
  };
}

interface Props {
  connector: RoutedConnectorId;
  loaderStatus: ConnectorStatus;
  /** Follow the status while a connect is being finished in the background. */
  follow: boolean;
  onChange: (state: LiveState) => void;
}

export default function LiveConnection(props: Props) {
  return (
    <QueryProviders>
      <Live {...props} />
    </QueryProviders>
  );
}

function Live({ connector, loaderStatus, follow, onChange }: Props) {
  const { data } = useConnectorStatus(connector, loaderStatus, follow);
  const check = useConnectorCheck(connector);
  const status = data ?? loaderStatus;
  const { mutate, isPending, error } = check;
  const health = check.isSuccess ? check.data.health : null;
  const message = error?.message ?? null;
  useEffect(() => {
    onChange({
      basedOn: loaderStatus,
      status,
      check: { run: (onSettled) => mutate(undefined, { onSettled }), pending: isPending, error: message, health },
    });
  }, [onChange, loaderStatus, status, mutate, isPending, message, health]);
  return null;
}
