/** What the catalog's search and grouping need of an entry (a subset of the tRPC CatalogEntry). */
export interface Searchable {
  name: string;
  tagline: string;
  category: string;
  availability: 'available' | 'coming_soon';
}

export interface CategoryLabel {
  id: string;
  label: string;
}

/** The longest query the page honours; a longer ?q= is cut, never an error. */
export const MAX_QUERY_LENGTH = 100;

export function normalizeQuery(raw: string | null | undefined): string {
  return (raw ?? '').trim().slice(0, MAX_QUERY_LENGTH);
}

/** Entries whose name, tagline or category (id or label) contain every word of `query`, any case. */
export function filterCatalog<T extends Searchable>(entries: readonly T[], query: string, categories: readonly CategoryLabel[]): T[] {
  const words = normalizeQuery(query).toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...entries];
  const labels = new Map(categories.map((c) => [c.id, c.label]));
  return entries.filter((e) => {
    const haystack = [e.name, e.tagline, e.category, labels.get(e.category) ?? ''].join(' ').toLowerCase();
    return words.every((w) => haystack.includes(w));
  });
}

export interface CatalogGroup<T> {
  category: CategoryLabel;
  entries: T[];
}

/**
 * Available connectors first, then the coming-soon ones; each part grouped by category in the
 * categories' order, empty groups left out, entries by name within a group.
 */
export function groupCatalog<T extends Searchable>(
  entries: readonly T[],
  categories: readonly CategoryLabel[],
): { available: CatalogGroup<T>[]; comingSoon: CatalogGroup<T>[] } {
  const part = (availability: Searchable['availability']) =>
    categories
      .map((category) => ({
        category,
        entries: entries
          .filter((e) => e.availability === availability && e.category === category.id)
          .sort((a, b) => a.name.localeCompare(b.name)),
      }))
      .filter((g) => g.entries.length > 0);
  return { available: part('available'), comingSoon: part('coming_soon') };
}
