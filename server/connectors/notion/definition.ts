import { siNotion } from 'simple-icons';
import { defineConnector, simpleIcon } from '../types.js';

export const notion = defineConnector({
  id: 'notion',
  name: 'Notion',
  tagline: 'Pages and databases shared with the integration',
  brandColor: '#000000',
  icon: simpleIcon(siNotion),
  category: 'documents',
  accessItems: [
    'Read pages shared with the integration',
    'Read databases shared with the integration',
  ],
  availability: 'coming_soon',
  keys: {},
});
