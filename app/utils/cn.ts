import { clsx, type ClassValue } from 'clsx';

/**
 * Joins class names. No class merging (tailwind-merge would add about 8 KB gzip to every page):
 * a caller's classes add to a component's, never fight them; a different look is a variant.
 */
export function cn(...inputs: ClassValue[]): string {
  return clsx(inputs);
}
