import { siHubspot } from 'simple-icons';
import { defineConnector, simpleIcon } from '../types.js';

export const hubspot = defineConnector({
  id: 'hubspot',
  name: 'HubSpot',
  tagline: 'Contacts, companies and deals',
  brandColor: '#FF7A59',
  icon: simpleIcon(siHubspot),
  category: 'crm',
  accessItems: [
    'Read contacts and companies',
    'Read deals',
  ],
  availability: 'coming_soon',
  keys: {},
});
