import { siJira } from 'simple-icons';
import { defineConnector, simpleIcon } from '../types.js';

export const jira = defineConnector({
  id: 'jira',
  name: 'Jira',
  tagline: 'Issues and projects',
  brandColor: '#0052CC',
  icon: simpleIcon(siJira),
  accessItems: [
    'Read projects',
    'Read and create issues',
  ],
  availability: 'coming_soon',
  keys: {},
});
