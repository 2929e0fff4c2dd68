/** Gmail end to end: the Google suite (../google/google-suite.ts) with Gmail's definition and scope. */
import { googleConnectorSuite } from '../google/google-suite.js';
import { googleEmail } from './definition.js';

googleConnectorSuite(googleEmail, 'https://www.googleapis.com/auth/gmail.readonly');
