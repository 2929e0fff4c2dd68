import { siGmail } from 'simple-icons';
import { defineConnector, simpleIcon } from '../types.js';
import { googleOAuth } from '../google/oauth.js';

/** Gmail on Google's shared OAuth definition (../google/oauth.ts), with Gmail's read-only scope. */
export const googleEmail = defineConnector({
  id: 'google_email',
  name: 'Gmail',
  tagline: 'Email threads and labels',
  brandColor: '#EA4335',
  icon: simpleIcon(siGmail),
  category: 'communication',
  accessItems: ['See your Google Account email address', 'Read your email messages, labels and settings (read only)'],
  availability: 'available',
  keys: {
    GOOGLE_EMAIL_ACCESS_TOKEN: { sensitive: true, description: 'OAuth access token for the Gmail account (one hour)' },
    GOOGLE_EMAIL_REFRESH_TOKEN: { sensitive: true, description: 'OAuth refresh token (issued once per consent; Google does not rotate it)' },
    GOOGLE_EMAIL_TOKEN_TYPE: { sensitive: false, description: 'Token type Google issued (Bearer)' },
    GOOGLE_EMAIL_EXPIRES_AT: { sensitive: false, description: 'When the access token expires' },
    GOOGLE_EMAIL_SCOPES: { sensitive: false, description: 'Scopes the user granted (some can be unticked on the consent screen)' },
  },
  oauth: googleOAuth({
    // https://developers.google.com/workspace/gmail/api/auth/scopes
    scope: 'https://www.googleapis.com/auth/gmail.readonly',
    scopeLabel: 'View your email messages and settings',
    storage: {
      accessToken: 'GOOGLE_EMAIL_ACCESS_TOKEN',
      refreshToken: 'GOOGLE_EMAIL_REFRESH_TOKEN',
      tokenType: 'GOOGLE_EMAIL_TOKEN_TYPE',
      expiresAt: 'GOOGLE_EMAIL_EXPIRES_AT',
      scopes: 'GOOGLE_EMAIL_SCOPES',
    },
    sandbox: async (client) => {
      // Imported lazily so production never loads the sandbox.
      const [{ startOAuthSandbox }, { googleSandboxProfile }] = await Promise.all([
        import('../../sandbox/oauth-sandbox.js'),
        import('../google/sandbox-profile.js'),
      ]);
      return startOAuthSandbox(googleSandboxProfile('Gmail'), client);
    },
  }),
});
