import { z } from 'zod';
import { ProviderError } from '../../oauth/provider-error.js';
import { defineConnector, type ProviderSandbox } from '../types.js';

/**
 * Gather's HTTP API, as documented on one Notion page (the docs are thin: no OpenAPI file, no
 * documented error shape, and the API is a beta "that may change"):
 * https://gathertown.notion.site/Gather-HTTP-API-3bbf6c59325f40aca7ef5ce14c677444
 * - No OAuth: each user generates an API key at https://gather.town/apiKeys and sends it in an
 *   `apiKey` header; the key acts as that user, who needs Admin or Builder rights on the space.
 * - A space id is `<id>/<name>` as in the space's URL, but "forward slashes in spaceId need to be
 *   replaced by backslashes" (`dkj63wrer8/spaceName` becomes `dkj63wrer8\spaceName`).
 * - No revocation API: a key is deleted by its owner at https://gather.town/apiKeys.
 */
const DOCS = 'https://gathertown.notion.site/Gather-HTTP-API-3bbf6c59325f40aca7ef5ce14c677444';

/** `<id>\<name>` or `<id>/<name>`: the id is letters and digits, the name has no slash or control character. */
const SPACE_ID = /^([A-Za-z0-9_-]{4,64})[\\/]([^\\/\p{Cc}]{1,100})$/u;

/** The space id as Gather's API wants it: the documented backslash between id and name. */
export const spaceIdSchema = z
  .string()
  .trim()
  .min(1, 'Enter the space id.')
  .max(170, 'The space id is too long.')
  .regex(SPACE_ID, 'Enter the space id as it appears in the space’s address: <id>/<name> or <id>\\<name>.')
  .transform((value) => value.replace('/', '\\'));

/** The space's name, from its id (`dkj63wrer8\Team Space` is Team Space). */
export function spaceName(spaceId: string): string {
  return SPACE_ID.exec(spaceId)?.[2]?.trim() || spaceId;
}

export const gather = defineConnector({
  id: 'gather',
  name: 'Gather',
  tagline: 'Spaces and events',
  brandColor: '#5463D6',
  icon: null, // not in simple-icons: the catalog shows a monogram
  monogram: 'Ga',
  category: 'communication',
  // The key acts as the Gather user who made it; Plugboard only reads with it.
  accessItems: ['Read the guest list (members and their roles) of one space', 'Act in that space as the Gather user who made the key'],
  availability: 'available',
  keys: {
    GATHER_API_KEY: { sensitive: true, description: 'Gather API key (the apiKey header)' },
    GATHER_TOKEN_TYPE: { sensitive: false, description: 'How the key is sent: the apiKey header' },
    GATHER_SPACE_ID: { sensitive: false, description: 'Gather space id, <id>\\<name>' },
  },
  settings: {
    schema: z.strictObject({ spaceId: spaceIdSchema }),
    fields: {
      spaceId: {
        key: 'GATHER_SPACE_ID',
        label: 'Space id',
        help: 'From the space’s address: gather.town/app/<id>/<name>. Your key’s owner needs Admin or Builder rights there.',
      },
    },
  },
  apiKey: {
    apiBase: 'https://api.gather.town',
    field: { label: 'API key', help: 'Generate one at gather.town/apiKeys while signed in to Gather.', maxLength: 256 },
    storage: { apiKey: 'GATHER_API_KEY', tokenType: 'GATHER_TOKEN_TYPE' },
    tokenType: 'apiKey',
    docsUrl: DOCS,
    removedAtProvider: {
      text: 'Gather has no way for apps to revoke a key: delete it at gather.town/apiKeys too.',
      url: 'https://gather.town/apiKeys',
    },
    // One call that needs the key and the space: the space's guest list (read-only). Gather documents
    // no error shape: any 4xx is a key (or space) it refuses, 5xx and network errors that it is unreachable.
    check: async (ctx) => {
      const spaceId = ctx.settings.spaceId ?? '';
      const url = `${ctx.apiUrl}/api/getEmailGuestlist?${new URLSearchParams({ spaceId })}`;
      const response = await ctx.fetch(url, { headers: { apiKey: ctx.accessToken.reveal(), accept: 'application/json' } });
      await response.body?.cancel();
      if (!response.ok) throw new ProviderError('identify', response.status);
      return { id: spaceId, name: spaceName(spaceId) };
    },
    sandbox: async (): Promise<ProviderSandbox> => (await import('./sandbox.js')).startGatherSandbox(),
  },
});
