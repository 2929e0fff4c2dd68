import { siTrello } from 'simple-icons';
import { defineConnector, simpleIcon } from '../types.js';

export const trello = defineConnector({
  id: 'trello',
  name: 'Trello',
  tagline: 'Boards, lists and cards',
  brandColor: '#0052CC',
  icon: simpleIcon(siTrello),
  category: 'engineering',
  accessItems: [
    'Read boards and lists',
    'Read cards',
  ],
  availability: 'coming_soon',
  keys: {},
});
