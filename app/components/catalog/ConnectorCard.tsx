import { Link } from '@remix-run/react';
import { ConnectorIcon } from '~/components/ConnectorIcon';
import { StatusBadge, type BadgeStatus } from '~/components/ui/badge';
import { buttonVariants } from '~/components/ui/button';
import { cn } from '~/utils/cn';

export interface CardEntry {
  id: string;
  name: string;
  tagline: string;
  brandColor: string;
  icon: { title: string; svgPath: string } | null;
  monogram: string;
  availability: 'available' | 'coming_soon';
  status: BadgeStatus;
  accountName: string | null;
}

/** The card's one action, by state: what a person came to do with this connector. */
function actionFor(status: BadgeStatus): { verb: string; variant: 'primary' | 'secondary' | 'danger' } {
  if (status === 'connected') return { verb: 'Manage', variant: 'secondary' };
  if (status === 'needs_reconnect') return { verb: 'Reconnect', variant: 'danger' };
  return { verb: 'Connect', variant: 'primary' };
}

/**
 * An available connector: mark, name, state and one link to its page. A coming-soon one is
 * quieter (muted, dashed edge) and links nowhere, since its page does not exist yet.
 */
export function ConnectorCard({ entry, headingLevel = 4 }: { entry: CardEntry; headingLevel?: 3 | 4 }) {
  const Heading = headingLevel === 3 ? 'h3' : 'h4';
  const available = entry.availability === 'available';
  const action = actionFor(entry.status);
  return (
    <li
      data-connector={entry.id}
      data-availability={entry.availability}
      className={cn(
        'flex min-w-0 flex-col gap-3 rounded-lg border p-4',
        available ? 'border-border bg-card shadow-sm' : 'border-dashed border-border bg-muted/40',
      )}
      style={available ? { borderTop: `4px solid ${entry.brandColor}` } : undefined}
    >
      <div className="flex min-w-0 items-center gap-3">
        <ConnectorIcon
          name={entry.name}
          brandColor={entry.brandColor}
          icon={entry.icon}
          monogram={entry.monogram}
          size={available ? 40 : 32}
        />
        <div className="flex min-w-0 flex-col gap-1">
          <Heading className={cn('break-words font-bold leading-tight', available ? 'text-base' : 'text-sm')}>{entry.name}</Heading>
          <StatusBadge status={entry.status} />
        </div>
      </div>
      <p className="text-sm text-muted-foreground">{entry.tagline}</p>
      {entry.accountName ? (
        <p className="break-words text-sm">
          <span className="text-muted-foreground">Workspace: </span>
          {entry.accountName}
        </p>
      ) : null}
      {available ? (
        <div className="mt-auto pt-1">
          <Link
            to={`/integrations/${entry.id}`}
            className={cn(buttonVariants({ variant: action.variant, size: 'sm' }), 'w-full sm:w-auto')}
            data-action={action.verb.toLowerCase()}
          >
            {action.verb}
            <span className="sr-only"> {entry.name}</span>
          </Link>
        </div>
      ) : null}
    </li>
  );
}
