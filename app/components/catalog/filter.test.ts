import { describe, expect, it } from 'vitest';
import { filterCatalog, groupCatalog, normalizeQuery, type Searchable } from './filter';

const categories = [
  { id: 'communication', label: 'Communication' },
  { id: 'engineering', label: 'Engineering' },
  { id: 'crm', label: 'Sales and CRM' },
  { id: 'support', label: 'Support' },
];

const entry = (name: string, category: string, availability: Searchable['availability'], tagline = `${name} things`) => ({
  name,
  tagline,
  category,
  availability,
});

const catalog = [
  entry('Slack', 'communication', 'coming_soon', 'Channels and messages'),
  entry('Linear', 'engineering', 'available', 'Issues and projects'),
  entry('Jira', 'engineering', 'available', 'Issues, sprints and boards'),
  entry('Intercom', 'support', 'available', 'Conversations with customers'),
  entry('Gong', 'crm', 'coming_soon', 'Call recordings'),
];

describe('filterCatalog', () => {
  it('keeps everything for an empty or blank query', () => {
    expect(filterCatalog(catalog, '', categories)).toHaveLength(5);
    expect(filterCatalog(catalog, '   ', categories)).toHaveLength(5);
  });

  it('matches the name in any case', () => {
    expect(filterCatalog(catalog, 'LIN', categories).map((e) => e.name)).toEqual(['Linear']);
  });

  it('matches the tagline and the category label', () => {
    expect(filterCatalog(catalog, 'sprints', categories).map((e) => e.name)).toEqual(['Jira']);
    expect(filterCatalog(catalog, 'crm', categories).map((e) => e.name)).toEqual(['Gong']);
    expect(filterCatalog(catalog, 'sales', categories).map((e) => e.name)).toEqual(['Gong']);
  });

  it('needs every word to match', () => {
    expect(filterCatalog(catalog, 'issues boards', categories).map((e) => e.name)).toEqual(['Jira']);
    expect(filterCatalog(catalog, 'zzz', categories)).toEqual([]);
  });

  it('cuts an overlong query instead of failing', () => {
    expect(normalizeQuery(`  ${'a'.repeat(500)}  `)).toHaveLength(100);
    expect(normalizeQuery(null)).toBe('');
  });
});

describe('groupCatalog', () => {
  it('puts available connectors first, each part in category order, names sorted, empty groups left out', () => {
    const { available, comingSoon } = groupCatalog(catalog, categories);
    expect(available.map((g) => [g.category.label, g.entries.map((e) => e.name)])).toEqual([
      ['Engineering', ['Jira', 'Linear']],
      ['Support', ['Intercom']],
    ]);
    expect(comingSoon.map((g) => [g.category.label, g.entries.map((e) => e.name)])).toEqual([
      ['Communication', ['Slack']],
      ['Sales and CRM', ['Gong']],
    ]);
  });
});
