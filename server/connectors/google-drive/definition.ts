import { siGoogledrive } from 'simple-icons';
import { defineConnector, simpleIcon } from '../types.js';
import { googleOAuth } from '../google/oauth.js';

/** Google Drive on Google's shared OAuth definition (../google/oauth.ts), with Drive's read-only scope. */
export const googleDrive = defineConnector({
  id: 'google_drive',
  name: 'Google Drive',
  tagline: 'Files and folders',
  brandColor: '#4285F4',
  icon: simpleIcon(siGoogledrive),
  category: 'documents',
  accessItems: ['See your Google Account email address', 'See and download all your Google Drive files (read only)'],
  availability: 'available',
  keys: {
    GOOGLE_DRIVE_ACCESS_TOKEN: { sensitive: true, description: 'OAuth access token for the Google account (one hour)' },
    GOOGLE_DRIVE_REFRESH_TOKEN: { sensitive: true, description: 'OAuth refresh token (issued once per consent; Google does not rotate it)' },
    GOOGLE_DRIVE_TOKEN_TYPE: { sensitive: false, description: 'Token type Google issued (Bearer)' },
    GOOGLE_DRIVE_EXPIRES_AT: { sensitive: false, description: 'When the access token expires' },
    GOOGLE_DRIVE_SCOPES: { sensitive: false, description: 'Scopes the user granted (some can be unticked on the consent screen)' },
  },
  oauth: googleOAuth({
    // https://developers.google.com/workspace/drive/api/guides/api-specific-auth
    scope: 'https://www.googleapis.com/auth/drive.readonly',
    scopeLabel: 'See and download all your Google Drive files',
    storage: {
      accessToken: 'GOOGLE_DRIVE_ACCESS_TOKEN',
      refreshToken: 'GOOGLE_DRIVE_REFRESH_TOKEN',
      tokenType: 'GOOGLE_DRIVE_TOKEN_TYPE',
      expiresAt: 'GOOGLE_DRIVE_EXPIRES_AT',
      scopes: 'GOOGLE_DRIVE_SCOPES',
    },
    sandbox: async (client) => {
      // Imported lazily so production never loads the sandbox.
      const [{ startOAuthSandbox }, { googleSandboxProfile }] = await Promise.all([
        import('../../sandbox/oauth-sandbox.js'),
        import('../google/sandbox-profile.js'),
      ]);
      return startOAuthSandbox(googleSandboxProfile('Google Drive'), client);
    },
  }),
});
