/**
 * Other tenants for `npm run bench`: each with an admin, a live session and an active Intercom
 * installation, written in one statement (100,000 take a few seconds), so the measured tenant's
 * queries run against tables of a realistic size. They are verified and never expire, so no
 * background job would call a provider for them.
 */
import pg from 'pg';

export async function seedTenants(databaseUrl: string, count: number, prefix: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `with t as (
         insert into tenants (id, created_at, updated_at, slug, name)
         select gen_random_uuid(), now(), now(), $1 || '-' || g, 'Bench tenant ' || g from generate_series(1, $2::int) g
         returning id, slug
       ), u as (
         insert into users (id, created_at, updated_at, tenant_id, email, password_hash, role)
         select gen_random_uuid(), now(), now(), t.id, t.slug || '@bench.test', 'not-a-hash', 'admin' from t
         returning id, tenant_id
       ), s as (
         insert into sessions (id, created_at, updated_at, token_hash, user_id, tenant_id, expires_at, last_seen_at)
         select gen_random_uuid(), now(), now(), encode(sha256(convert_to(gen_random_uuid()::text, 'UTF8')), 'hex'),
                u.id, u.tenant_id, now() + interval '1 day', now()
           from u
       )
       insert into connector_installations (id, created_at, updated_at, tenant_id, type, status, external_account_id,
                                            external_account_name, installed_by_id, key_synced, health, failures,
                                            token_version, verified_at, scopes)
       select gen_random_uuid(), now(), now(), u.tenant_id, 'intercom', 'active', 'workspace-' || left(u.tenant_id::text, 8),
              'Bench workspace', u.id, true, 'healthy', 0, 1, now(), 'read_conversations'
         from u`,
      [prefix, count],
    );
    await client.query('analyze');
  } finally {
    await client.end();
  }
}

export async function countTenants(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>('select count(*) as n from tenants');
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}
