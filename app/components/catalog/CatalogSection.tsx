import { cn } from '~/utils/cn';
import { ConnectorCard, type CardEntry } from './ConnectorCard';
import type { CatalogGroup } from './filter';

export const categoryHeadingId = (section: string, category: string) => `${section}-${category}`;

interface Props {
  id: string;
  title: string;
  description: string;
  groups: CatalogGroup<CardEntry & { category: string; availability: 'available' | 'coming_soon' }>[];
  /** Coming soon: quieter heading, denser grid. */
  secondary?: boolean;
}

/** One part of the catalog (available, coming soon): an h2, then one labelled list per category. */
export function CatalogSection({ id, title, description, groups, secondary = false }: Props) {
  return (
    <section aria-labelledby={`${id}-heading`} data-section={id} className="mb-10">
      <h2 id={`${id}-heading`} className={cn('font-bold', secondary ? 'text-lg text-muted-foreground' : 'text-xl')}>
        {title}
      </h2>
      <p className="mb-4 text-sm text-muted-foreground">{description}</p>
      <div className="flex flex-col gap-6">
        {groups.map(({ category, entries }) => {
          const headingId = categoryHeadingId(id, category.id);
          return (
            <div key={category.id} data-category={category.id}>
              <h3 id={headingId} className="mb-3 text-sm font-semibold uppercase tracking-wide text-muted-foreground">
                {category.label}
              </h3>
              <ul
                aria-labelledby={headingId}
                className={cn('grid grid-cols-1 gap-4', secondary ? 'sm:grid-cols-2 lg:grid-cols-4' : 'sm:grid-cols-2 lg:grid-cols-3')}
              >
                {entries.map((entry) => (
                  <ConnectorCard key={entry.id} entry={entry} />
                ))}
              </ul>
            </div>
          );
        })}
      </div>
    </section>
  );
}
