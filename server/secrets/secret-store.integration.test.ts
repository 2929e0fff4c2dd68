import { describe, expect, expectTypeOf, it } from 'vitest';
import { makeTenant } from '../../test/support/factories.js';
import { useTestDatabase } from '../../test/support/database.js';
import { localBackend, ssmBackend, useSsmEndpoint } from '../../test/support/secret-backends.js';
import type { ConfigKey } from '../connectors/registry.js';
import { SecretStore, UnknownConfigKeyError } from './secret-store.js';
import { SecretValue } from './secret-value.js';

const db = useTestDatabase();
const ssm = useSsmEndpoint();

const TOKEN = 'tok_routing_marker_987654321';

describe('SecretStore routing', () => {
  it('sends sensitive keys to SSM only and non-sensitive keys to config_values only', async () => {
    ssm.current.reset();
    const store = new SecretStore(db.orm, ssmBackend(ssm.current));
    const tenantId = (await makeTenant(db.orm.em.fork())).id;

    await store.save(tenantId, 'INTERCOM_ACCESS_TOKEN', new SecretValue(TOKEN));
    await store.save(tenantId, 'INTERCOM_TOKEN_TYPE', 'Bearer');

    const puts = ssm.current.requestsFor('PutParameter');
    expect(puts.map((r) => r.body?.Name)).toEqual([`/${tenantId}/api-key/INTERCOM_ACCESS_TOKEN`]);
    expect(puts[0]?.body).toMatchObject({ Type: 'SecureString', Overwrite: true });
    const config = await db.sql<{ key: string; value: string }>('select key, value from config_values where tenant_id = $1', [tenantId]);
    expect(config).toEqual([{ key: 'INTERCOM_TOKEN_TYPE', value: 'Bearer' }]);
    expect(JSON.stringify(await db.sql('select * from config_values'))).not.toContain(TOKEN);

    expect((await store.get(tenantId, 'INTERCOM_ACCESS_TOKEN'))?.reveal()).toBe(TOKEN);
    expect(await store.get(tenantId, 'INTERCOM_TOKEN_TYPE')).toBe('Bearer');
    // Reading the non-sensitive key made no SSM call.
    expect(ssm.current.requests.filter((r) => JSON.stringify(r.body).includes('INTERCOM_TOKEN_TYPE'))).toEqual([]);
  });

  it('with the local backend, sensitive values land encrypted in secret_values, never in config_values', async () => {
    const store = new SecretStore(db.orm, localBackend(db.orm));
    const tenantId = (await makeTenant(db.orm.em.fork())).id;
    await store.save(tenantId, 'INTERCOM_ACCESS_TOKEN', new SecretValue(TOKEN));
    await store.save(tenantId, 'INTERCOM_TOKEN_TYPE', 'Bearer');
    expect(await db.sql('select key from secret_values where tenant_id = $1', [tenantId])).toEqual([{ key: 'INTERCOM_ACCESS_TOKEN' }]);
    expect(await db.sql('select key from config_values where tenant_id = $1', [tenantId])).toEqual([{ key: 'INTERCOM_TOKEN_TYPE' }]);
  });

  it('overwrites a non-sensitive value in place', async () => {
    const store = new SecretStore(db.orm, localBackend(db.orm));
    const tenantId = (await makeTenant(db.orm.em.fork())).id;
    await store.save(tenantId, 'INTERCOM_TOKEN_TYPE', 'Bearer');
    await store.save(tenantId, 'INTERCOM_TOKEN_TYPE', 'bearer');
    expect(await db.sql('select value from config_values where tenant_id = $1', [tenantId])).toEqual([{ value: 'bearer' }]);
  });

  it('deletes both kinds at once, idempotently', async () => {
    ssm.current.reset();
    const store = new SecretStore(db.orm, ssmBackend(ssm.current));
    const tenantId = (await makeTenant(db.orm.em.fork())).id;
    await store.save(tenantId, 'INTERCOM_ACCESS_TOKEN', new SecretValue(TOKEN));
    await store.save(tenantId, 'INTERCOM_TOKEN_TYPE', 'Bearer');
    await store.delete(tenantId, ['INTERCOM_ACCESS_TOKEN', 'INTERCOM_TOKEN_TYPE']);
    await store.delete(tenantId, ['INTERCOM_ACCESS_TOKEN', 'INTERCOM_TOKEN_TYPE']);
    expect(await store.get(tenantId, 'INTERCOM_ACCESS_TOKEN')).toBeNull();
    expect(await store.get(tenantId, 'INTERCOM_TOKEN_TYPE')).toBeNull();
    expect(ssm.current.parameters.size).toBe(0);
  });

  it('describes each declared key without its value', async () => {
    const store = new SecretStore(db.orm, ssmBackend(ssm.current, { prefix: '/plugboard/test' }));
    const tenantId = (await makeTenant(db.orm.em.fork())).id;
    await store.save(tenantId, 'INTERCOM_ACCESS_TOKEN', new SecretValue(TOKEN));
    const described = await store.describe(tenantId, 'intercom');
    expect(described).toEqual([
      expect.objectContaining({
        key: 'INTERCOM_ACCESS_TOKEN',
        sensitive: true,
        store: 'secret_backend',
        location: `ssm:/plugboard/test/${tenantId}/api-key/INTERCOM_ACCESS_TOKEN`,
        type: 'SecureString',
        present: true,
        version: 1,
      }),
      expect.objectContaining({ key: 'INTERCOM_TOKEN_TYPE', sensitive: false, store: 'config_values', present: false }),
      expect.objectContaining({ key: 'INTERCOM_REGION', sensitive: false, store: 'config_values', present: false }),
    ]);
    expect(JSON.stringify(described)).not.toContain(TOKEN);
  });

  it('refuses an undeclared key at run time, and at compile time', async () => {
    const store = new SecretStore(db.orm, localBackend(db.orm));
    const tenantId = (await makeTenant(db.orm.em.fork())).id;
    // @ts-expect-error: not declared by any connector definition
    await expect(store.save(tenantId, 'SLACK_BOT_TOKEN', 'x')).rejects.toBeInstanceOf(UnknownConfigKeyError);
    // @ts-expect-error: a sensitive key takes a SecretValue, never a plain string
    await expect(store.save(tenantId, 'INTERCOM_ACCESS_TOKEN', TOKEN)).rejects.toThrow(/pass a SecretValue/);
    expectTypeOf<ConfigKey>().toEqualTypeOf<
      | 'INTERCOM_ACCESS_TOKEN'
      | 'INTERCOM_TOKEN_TYPE'
      | 'INTERCOM_REGION'
      | 'LINEAR_ACCESS_TOKEN'
      | 'LINEAR_REFRESH_TOKEN'
      | 'LINEAR_TOKEN_TYPE'
      | 'LINEAR_EXPIRES_AT'
      | 'LINEAR_SCOPES'
      | 'JIRA_ACCESS_TOKEN'
      | 'JIRA_REFRESH_TOKEN'
      | 'JIRA_TOKEN_TYPE'
      | 'JIRA_EXPIRES_AT'
      | 'JIRA_SCOPES'
      | 'JIRA_CLOUD_ID'
      | 'JIRA_SITE_URL'
      | 'CONFLUENCE_ACCESS_TOKEN'
      | 'CONFLUENCE_REFRESH_TOKEN'
      | 'CONFLUENCE_TOKEN_TYPE'
      | 'CONFLUENCE_EXPIRES_AT'
      | 'CONFLUENCE_SCOPES'
      | 'CONFLUENCE_CLOUD_ID'
      | 'CONFLUENCE_SITE_URL'
      | 'GONG_ACCESS_TOKEN'
      | 'GONG_REFRESH_TOKEN'
      | 'GONG_TOKEN_TYPE'
      | 'GONG_EXPIRES_AT'
      | 'GONG_SCOPES'
      | 'GONG_API_BASE_URL'
      | 'TRELLO_TOKEN'
      | 'TRELLO_TOKEN_SECRET'
      | 'TRELLO_TOKEN_TYPE'
      | 'HUBSPOT_ACCESS_TOKEN'
      | 'HUBSPOT_REFRESH_TOKEN'
      | 'HUBSPOT_TOKEN_TYPE'
      | 'HUBSPOT_EXPIRES_AT'
      | 'HUBSPOT_SCOPES'
      | 'HUBSPOT_PORTAL_ID'
      | 'HUBSPOT_UI_DOMAIN'
      | 'HUBSPOT_REVOKE_ON_DISCONNECT'
      | 'SALESFORCE_ACCESS_TOKEN'
      | 'SALESFORCE_REFRESH_TOKEN'
      | 'SALESFORCE_TOKEN_TYPE'
      | 'SALESFORCE_SCOPES'
      | 'SALESFORCE_LOGIN'
      | 'SALESFORCE_MY_DOMAIN'
      | 'SALESFORCE_INSTANCE_URL'
      | 'ASANA_ACCESS_TOKEN'
      | 'ASANA_REFRESH_TOKEN'
      | 'ASANA_TOKEN_TYPE'
      | 'ASANA_EXPIRES_AT'
      | 'ZENDESK_ACCESS_TOKEN'
      | 'ZENDESK_REFRESH_TOKEN'
      | 'ZENDESK_TOKEN_TYPE'
      | 'ZENDESK_EXPIRES_AT'
      | 'ZENDESK_SCOPES'
      | 'ZENDESK_SUBDOMAIN'
      | 'SLACK_ACCESS_TOKEN'
      | 'SLACK_REFRESH_TOKEN'
      | 'SLACK_TOKEN_TYPE'
      | 'SLACK_EXPIRES_AT'
      | 'SLACK_SCOPES'
      | 'NOTION_ACCESS_TOKEN'
      | 'NOTION_REFRESH_TOKEN'
      | 'NOTION_TOKEN_TYPE'
      | 'NOTION_EXPIRES_AT'
      | 'NOTION_WORKSPACE_ID'
      | 'NOTION_WORKSPACE_NAME'
      | 'NOTION_WORKSPACE_ICON'
      | 'NOTION_BOT_ID'
      | 'NOTION_OWNER_TYPE'
      | 'GITHUB_ACCESS_TOKEN'
      | 'GITHUB_TOKEN_TYPE'
      | 'GITHUB_EXPIRES_AT'
      | 'GITHUB_SCOPES'
      | 'GITHUB_INSTALLATION_ID'
      | 'GITHUB_INSTALLATION_URL'
      | 'GOOGLE_DRIVE_ACCESS_TOKEN'
      | 'GOOGLE_DRIVE_REFRESH_TOKEN'
      | 'GOOGLE_DRIVE_TOKEN_TYPE'
      | 'GOOGLE_DRIVE_EXPIRES_AT'
      | 'GOOGLE_DRIVE_SCOPES'
      | 'GOOGLE_EMAIL_ACCESS_TOKEN'
      | 'GOOGLE_EMAIL_REFRESH_TOKEN'
      | 'GOOGLE_EMAIL_TOKEN_TYPE'
      | 'GOOGLE_EMAIL_EXPIRES_AT'
      | 'GATHER_API_KEY'
      | 'GATHER_TOKEN_TYPE'
      | 'GATHER_SPACE_ID'
      | 'GOOGLE_EMAIL_SCOPES'
    >();
    const secret = await store.get(tenantId, 'INTERCOM_ACCESS_TOKEN');
    const plain = await store.get(tenantId, 'INTERCOM_TOKEN_TYPE');
    expectTypeOf(secret).toEqualTypeOf<SecretValue | null>();
    expectTypeOf(plain).toEqualTypeOf<string | null>();
  });
});
