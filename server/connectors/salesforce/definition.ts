import { defineConnector } from '../types.js';

export const salesforce = defineConnector({
  id: 'salesforce',
  name: 'Salesforce',
  tagline: 'Accounts, contacts and opportunities',
  brandColor: '#00A1E0',
  icon: null, // not in simple-icons: the catalog shows a monogram
  monogram: 'Sf',
  category: 'crm',
  accessItems: [
    'Read accounts and contacts',
    'Read opportunities',
  ],
  availability: 'coming_soon',
  keys: {},
});
