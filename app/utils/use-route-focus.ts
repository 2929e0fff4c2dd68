import { useLocation } from '@remix-run/react';
import { useEffect, useState } from 'react';

/**
 * The page the browser showed last. Module state, not a ref: the root swaps between App and
 * its ErrorBoundary, which can remount the component that calls the hook (a 404 → the catalog).
 */
let lastPage: string | null = null;

/**
 * After a client-side navigation, moves focus to the new page's h1 (or <main>) and returns the
 * new title for a live region, so keyboard and screen-reader users land at the top of the new
 * page instead of on a link that no longer exists. The first load keeps the browser's own
 * behaviour, and a change of the hash alone (the skip link) is left to the browser.
 */
export function useRouteFocus(): string {
  const location = useLocation();
  const page = location.pathname + location.search;
  const [announcement, setAnnouncement] = useState('');

  useEffect(() => {
    const first = lastPage === null;
    if (lastPage === page) return;
    lastPage = page;
    if (first) return;
    const main = document.getElementById('main');
    const target = main?.querySelector<HTMLElement>('h1') ?? main;
    if (target) {
      if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
      target.focus({ preventScroll: false });
    }
    setAnnouncement(document.title);
  }, [page]);

  return announcement;
}
