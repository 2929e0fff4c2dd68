import { siLinear } from 'simple-icons';
import { defineConnector, simpleIcon } from '../types.js';

export const linear = defineConnector({
  id: 'linear',
  name: 'Linear',
  tagline: 'Issues, projects and cycles',
  brandColor: '#5E6AD2',
  icon: simpleIcon(siLinear),
  accessItems: [
    'Read issues, projects and cycles',
    'Create issues',
  ],
  availability: 'coming_soon',
  keys: {},
});
