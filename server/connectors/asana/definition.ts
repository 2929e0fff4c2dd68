import { siAsana } from 'simple-icons';
import { defineConnector, simpleIcon } from '../types.js';

export const asana = defineConnector({
  id: 'asana',
  name: 'Asana',
  tagline: 'Projects and tasks',
  brandColor: '#F06A6A',
  icon: simpleIcon(siAsana),
  category: 'engineering',
  accessItems: [
    'Read projects',
    'Read tasks',
  ],
  availability: 'coming_soon',
  keys: {},
});
