/** Google Drive end to end: the Google suite (../google/google-suite.ts) with Drive's definition and scope. */
import { googleConnectorSuite } from '../google/google-suite.js';
import { googleDrive } from './definition.js';

googleConnectorSuite(googleDrive, 'https://www.googleapis.com/auth/drive.readonly');
