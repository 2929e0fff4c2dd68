import { siGmail } from 'simple-icons';
import { defineConnector, simpleIcon } from '../types.js';

export const googleEmail = defineConnector({
  id: 'google_email',
  name: 'Gmail',
  tagline: 'Email threads and labels',
  brandColor: '#EA4335',
  icon: simpleIcon(siGmail),
  category: 'communication',
  accessItems: [
    'Read message metadata and labels',
    'Read message bodies',
  ],
  availability: 'coming_soon',
  keys: {},
});
