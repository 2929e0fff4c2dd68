/**
 * zod schemas shared by procedures and forms. This file imports only zod, so `app/` may use
 * it in the browser bundle.
 */
import { z } from 'zod';

export const signInInput = z.object({
  email: z.email('Enter a valid email address.').max(320),
  password: z.string().min(1, 'Enter your password.').max(1024),
});
export type SignInInput = z.infer<typeof signInInput>;

export const sessionUserOutput = z.object({
  email: z.string(),
  role: z.enum(['admin', 'member']),
  tenant: z.object({ id: z.string(), slug: z.string(), name: z.string() }),
});

export const connectorStatus = z.enum(['connected', 'not_connected', 'disconnected', 'coming_soon']);

export const catalogEntry = z.object({
  id: z.string(),
  name: z.string(),
  tagline: z.string(),
  brandColor: z.string().regex(/^#[0-9A-Fa-f]{6}$/),
  icon: z.object({ title: z.string(), svgPath: z.string() }).nullable(),
  accessItems: z.array(z.string()),
  availability: z.enum(['available', 'coming_soon']),
  status: connectorStatus,
  accountName: z.string().nullable(),
});
export type CatalogEntry = z.infer<typeof catalogEntry>;
