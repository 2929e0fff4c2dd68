import { siGithub } from 'simple-icons';
import { defineConnector, simpleIcon } from '../types.js';

export const github = defineConnector({
  id: 'github',
  name: 'GitHub',
  tagline: 'Repositories, issues and pull requests',
  brandColor: '#181717',
  icon: simpleIcon(siGithub),
  category: 'engineering',
  accessItems: [
    'Read repository metadata',
    'Read issues and pull requests',
  ],
  availability: 'coming_soon',
  keys: {},
});
