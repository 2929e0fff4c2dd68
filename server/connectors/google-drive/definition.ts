import { siGoogledrive } from 'simple-icons';
import { defineConnector, simpleIcon } from '../types.js';

export const googleDrive = defineConnector({
  id: 'google_drive',
  name: 'Google Drive',
  tagline: 'Files and folders',
  brandColor: '#4285F4',
  icon: simpleIcon(siGoogledrive),
  category: 'documents',
  accessItems: [
    'Read file metadata',
    'Read files you pick',
  ],
  availability: 'coming_soon',
  keys: {},
});
