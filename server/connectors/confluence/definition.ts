import { siConfluence } from 'simple-icons';
import { defineConnector, simpleIcon } from '../types.js';

export const confluence = defineConnector({
  id: 'confluence',
  name: 'Confluence',
  tagline: 'Spaces and pages',
  brandColor: '#172B4D',
  icon: simpleIcon(siConfluence),
  category: 'documents',
  accessItems: [
    'Read spaces',
    'Read pages',
  ],
  availability: 'coming_soon',
  keys: {},
});
