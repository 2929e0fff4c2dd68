import { defineConnector } from '../types.js';

export const gong = defineConnector({
  id: 'gong',
  name: 'Gong',
  tagline: 'Calls and transcripts',
  brandColor: '#8039DF',
  icon: null, // not in simple-icons: the catalog shows a monogram
  monogram: 'Go',
  category: 'crm',
  accessItems: [
    'Read call metadata',
    'Read call transcripts',
  ],
  availability: 'coming_soon',
  keys: {},
});
