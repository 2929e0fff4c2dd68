import { defineConnector } from '../types.js';

export const slack = defineConnector({
  id: 'slack',
  name: 'Slack',
  tagline: 'Messages and channels from your workspace',
  brandColor: '#4A154B',
  icon: null, // not in simple-icons: the catalog shows a monogram
  monogram: 'Sl',
  category: 'communication',
  accessItems: [
    'Read public channel names',
    'Read messages in channels the app is added to',
    'Post messages as the app',
  ],
  availability: 'coming_soon',
  keys: {},
});
