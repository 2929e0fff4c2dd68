import { Link } from '@remix-run/react';
import { eventText } from '~/lib/connector-messages';
import { LocalTime } from './format';

/** How many events the page shows first, and the most the `events` procedure gives. */
export const EVENTS_FIRST = 10;
export const EVENTS_MAX = 50;
const EVENTS_STEP = 20;

/** `?events=N` from the URL, within what the procedure accepts. */
export function eventsLimit(url: URL): number {
  const n = Number.parseInt(url.searchParams.get('events') ?? '', 10);
  return Number.isFinite(n) ? Math.min(EVENTS_MAX, Math.max(EVENTS_FIRST, n)) : EVENTS_FIRST;
}

interface ActivityEvent {
  id: string;
  at: string;
  action: string;
  detail: string | null;
  actorEmail: string;
  workspaceName: string | null;
}

/** Recent activity, newest first, with "Show more" as a plain link (works without JavaScript). */
export function ActivityList({ events, limit, name }: { events: ActivityEvent[]; limit: number; name: string }) {
  const more = events.length >= limit && limit < EVENTS_MAX;
  return (
    <section aria-labelledby="events-heading" className="flex flex-col gap-3 rounded-lg border border-border bg-card p-5">
      <h2 id="events-heading" className="text-lg font-bold">
        Recent activity
      </h2>
      {events.length === 0 ? (
        <p className="text-sm text-muted-foreground">No connection activity yet.</p>
      ) : (
        // The table scrolls on its own on a narrow screen; the page never does sideways.
        <div className="overflow-x-auto" tabIndex={0} role="group" aria-labelledby="events-heading">
          <table className="events w-full min-w-[36rem] text-left text-sm">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">What</th>
                <th scope="col">Who</th>
                <th scope="col">Workspace</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id}>
                  <td className="whitespace-nowrap">
                    <LocalTime iso={e.at} />
                  </td>
                  <td data-action={e.action}>{eventText(e.action, e.detail, name)}</td>
                  <td className="whitespace-nowrap">{e.actorEmail}</td>
                  <td>{e.workspaceName ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {more ? (
        <p>
          <Link
            to={`?events=${Math.min(EVENTS_MAX, limit + EVENTS_STEP)}`}
            preventScrollReset
            className="font-semibold text-primary underline underline-offset-2"
          >
            Show more
          </Link>
        </p>
      ) : null}
    </section>
  );
}
