import { useEffect, useState } from 'react';

/** A moment in UTC, the same on the server and in every browser: what the page shows without JavaScript. */
export function formatUtc(iso: string): string {
  return new Date(iso).toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC';
}

/** The same moment in the reader's own time zone, with its name. */
export function formatLocal(iso: string): string {
  return new Date(iso).toLocaleString('en', {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  });
}

/**
 * A <time>: UTC in the server render (and without JavaScript), the reader's local time once the
 * page has hydrated. Switching in an effect keeps the hydrated markup equal to the server's.
 */
export function LocalTime({ iso }: { iso: string }) {
  const [local, setLocal] = useState(false);
  useEffect(() => setLocal(true), []);
  return (
    <time dateTime={iso} title={formatUtc(iso)}>
      {local ? formatLocal(iso) : formatUtc(iso)}
    </time>
  );
}
