import { siZendesk } from 'simple-icons';
import { defineConnector, simpleIcon } from '../types.js';

export const zendesk = defineConnector({
  id: 'zendesk',
  name: 'Zendesk',
  tagline: 'Tickets and help-center articles',
  brandColor: '#03363D',
  icon: simpleIcon(siZendesk),
  category: 'support',
  accessItems: [
    'Read tickets',
    'Read help-center articles',
  ],
  availability: 'coming_soon',
  keys: {},
});
