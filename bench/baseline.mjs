/**
 * The bare baseline `npm run bench` compares the app with: `node:http` and `pg`, nothing else,
 * doing the work each measured route cannot do without, against the same database and secret
 * store. Plain JavaScript, so nothing is compiled while it runs.
 *
 *   GET /healthz                           select 1
 *   GET /api/trpc/intercom.status          verify the HMAC-signed session cookie; one query for
 *                                          session, user and tenant (live, not idle, not
 *                                          expired); one for the installation with its grant and
 *                                          the emails of who connected and disconnected
 *   GET /api/v1/connections/linear/token   hash the bearer key and look it up; count it against
 *                                          the per-key limit (one upsert); one query for the
 *                                          tenant's active installation; the token from the
 *                                          SSM-protocol store, read once per token version
 *
 * Environment: PORT, DATABASE_URL, SESSION_SECRET, SESSION_IDLE_HOURS, POOL_MAX, and the AWS SDK's
 * (AWS_ENDPOINT_URL_SSM, AWS_REGION, credentials). Prints "listening <port>" when ready.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_MAX ?? 10) });
const ssm = new SSMClient({});
const secret = process.env.SESSION_SECRET ?? '';
const idleMs = Number(process.env.SESSION_IDLE_HOURS ?? 72) * 3600_000;
const COOKIE = '__Host-plugboard_session';
const TOKEN_KEY = { linear: 'LINEAR_ACCESS_TOKEN', intercom: 'INTERCOM_ACCESS_TOKEN' };
const tokens = new Map();

const sha256 = (value) => createHash('sha256').update(value).digest('hex');

function sessionToken(header) {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (part.slice(0, eq).trim() !== COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    const dot = value.lastIndexOf('.');
    if (dot <= 0) return null;
    const token = value.slice(0, dot);
    const given = Buffer.from(value.slice(dot + 1));
    const expected = Buffer.from(createHmac('sha256', secret).update(token).digest('base64url'));
    return given.length === expected.length && timingSafeEqual(given, expected) ? token : null;
  }
  return null;
}

function send(res, status, body) {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

async function status(req, res) {
  const token = sessionToken(req.headers.cookie);
  if (!token) return send(res, 401, { error: 'unauthorized' });
  const now = new Date();
  const session = await pool.query(
    `select s.id, u.email, u.role, t.id as tenant_id, t.slug, t.name from sessions s
       join users u on u.id = s.user_id join tenants t on t.id = s.tenant_id
      where s.token_hash = $1 and s.expires_at > $2 and s.last_seen_at > $3`,
    [sha256(token), now, new Date(now.getTime() - idleMs)],
  );
  const who = session.rows[0];
  if (!who) return send(res, 401, { error: 'unauthorized' });
  const result = await pool.query(
    `select i.status, i.external_account_id, i.external_account_name, i.updated_at, i.disconnected_at, i.key_synced,
            i.health, i.health_reason, i.expires_at, i.scopes, g.settings, ib.email as installed_by, db.email as disconnected_by
       from connector_installations i
       left join connector_grants g on g.id = i.grant_id
       left join users ib on ib.id = i.installed_by_id
       left join users db on db.id = i.disconnected_by_id
      where i.tenant_id = $1 and i.type = 'intercom'`,
    [who.tenant_id],
  );
  const row = result.rows[0];
  const active = row?.status === 'active';
  send(res, 200, {
    result: {
      data: {
        connector: 'intercom',
        connected: active,
        state: active ? 'connected' : row ? 'disconnected' : 'not_connected',
        installationStatus: row?.status ?? null,
        workspace: row ? { id: row.external_account_id, name: row.external_account_name } : null,
        connectedBy: row?.installed_by ?? null,
        connectedAt: row ? row.updated_at.toISOString() : null,
        disconnectedBy: row?.disconnected_by ?? null,
        disconnectedAt: row?.disconnected_at?.toISOString() ?? null,
        finishing: row ? !row.key_synced : false,
        health: active ? row.health : null,
        healthReason: active ? row.health_reason : null,
        expiresAt: active ? (row.expires_at?.toISOString() ?? null) : null,
        scopes: active && row.scopes ? row.scopes.split(' ') : null,
        settings: active ? (row.settings ?? {}) : {},
      },
    },
  });
}

async function token(req, res, connector, tenantRef) {
  const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
  const key = bearer && (await pool.query('select id, name from service_keys where key_hash = $1 and revoked_at is null', [sha256(bearer)])).rows[0];
  if (!key) return send(res, 401, { error: 'invalid_key' });
  const now = Date.now();
  const counted = await pool.query(
    `insert into sign_in_throttle (key, points, expire) values ($1, 1, $2)
       on conflict (key) do update set
         points = case when sign_in_throttle.expire <= $3 then 1 else sign_in_throttle.points + 1 end,
         expire = case when sign_in_throttle.expire <= $3 then $2 else sign_in_throttle.expire end
     returning points`,
    [`baseline:${key.id}`, now + 60_000, now],
  );
  if (counted.rows[0].points > 1e9) return send(res, 429, { error: 'rate_limited' });
  const found = await pool.query(
    `select t.id as tenant_id, i.token_version, i.expires_at, i.scopes, i.external_account_id, i.external_account_name, g.settings
       from tenants t
       join connector_installations i on i.tenant_id = t.id and i.type = $2 and i.status = 'active'
       join connector_grants g on g.id = i.grant_id
      where t.slug = $1`,
    [tenantRef, connector],
  );
  const row = found.rows[0];
  if (!row) return send(res, 404, { error: 'not_connected' });
  const cacheKey = `${row.tenant_id}:${connector}`;
  let cached = tokens.get(cacheKey);
  if (cached?.version !== row.token_version) {
    const answer = await ssm.send(new GetParameterCommand({ Name: `/${row.tenant_id}/api-key/${TOKEN_KEY[connector]}`, WithDecryption: true }));
    cached = { version: row.token_version, value: answer.Parameter?.Value };
    tokens.set(cacheKey, cached);
  }
  send(res, 200, {
    accessToken: cached.value,
    tokenType: 'Bearer',
    expiresAt: row.expires_at?.toISOString() ?? null,
    scopes: row.scopes ? row.scopes.split(' ') : null,
    account: { id: row.external_account_id, name: row.external_account_name },
    settings: row.settings ?? {},
  });
}

const TOKEN_PATH = /^\/api\/v1\/connections\/([a-z_]+)\/token\?tenant=([a-z0-9-]+)$/;

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  let work;
  if (url === '/healthz') work = pool.query('select 1').then(() => send(res, 200, { status: 'ok', database: 'ok' }));
  else if (url.startsWith('/api/trpc/intercom.status')) work = status(req, res);
  else {
    const match = TOKEN_PATH.exec(url);
    work = match && match[1] in TOKEN_KEY ? token(req, res, match[1], match[2]) : Promise.resolve(send(res, 404, { error: 'not_found' }));
  }
  work.catch((error) => {
    console.error(error);
    if (!res.headersSent) send(res, 500, { error: 'internal_error' });
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void pool.end().then(() => process.exit(0));
});
