/**
 * The one-time flash notice: a Radix toast once the page has hydrated, an Alert in the page
 * without JavaScript (app/root.tsx, app/components/AppShell.tsx). Both carry the notice's tone.
 */
import type { Page } from '@playwright/test';
import { expect } from './fixtures.js';

export function flashNotice(page: Page, text: string) {
  return page.locator('[data-flash], li[data-tone]').filter({ hasText: text }).first();
}

/** The notice is shown with this text (and tone, when given). */
export async function expectFlash(page: Page, text: string, tone?: 'info' | 'success' | 'warning' | 'error'): Promise<void> {
  const notice = flashNotice(page, text);
  await expect(notice).toBeVisible();
  if (tone) await expect(notice).toHaveAttribute('data-tone', tone);
}
