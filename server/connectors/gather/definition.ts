import { defineConnector } from '../types.js';

export const gather = defineConnector({
  id: 'gather',
  name: 'Gather',
  tagline: 'Spaces and events',
  brandColor: '#5463D6',
  icon: null, // not in simple-icons: the catalog shows a monogram
  monogram: 'Ga',
  category: 'communication',
  accessItems: [
    'Read space membership',
    'Read events',
  ],
  availability: 'coming_soon',
  keys: {},
});
