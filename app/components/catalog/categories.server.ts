// The catalog's groups, in display order, from the connector definitions' own list.
import { CONNECTOR_CATEGORIES } from '../../../server/connectors/types.js';

export interface CatalogCategory {
  id: keyof typeof CONNECTOR_CATEGORIES;
  label: string;
}

export const catalogCategories: CatalogCategory[] = (
  Object.entries(CONNECTOR_CATEGORIES) as [keyof typeof CONNECTOR_CATEGORIES, string][]
).map(([id, label]) => ({ id, label }));
