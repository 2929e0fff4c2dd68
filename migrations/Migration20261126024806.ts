import { Migration } from '@mikro-orm/migrations';

export class Migration20261126024806 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "connector_grants" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "connector" varchar(64) not null, "status" text check ("status" in ('pending', 'active', 'revoking', 'revoked', 'discarded', 'failed')) not null, "secret_key" varchar(128) not null, "external_account_id" varchar(255) null, "external_account_name" varchar(255) null, "revoke_attempts" int not null default 0, "last_error" varchar(255) null, "revoke_requested_at" timestamptz null, "finished_at" timestamptz null, constraint "connector_grants_pkey" primary key ("id"));`);
    this.addSql(`create index "connector_grants_tenant_connector_status_index" on "connector_grants" ("tenant_id", "connector", "status");`);
    this.addSql(`create index "connector_grants_status_updated_index" on "connector_grants" ("status", "updated_at");`);

    this.addSql(`create table "connection_intents" ("id" uuid not null, "tenant_id" uuid not null, "connector" varchar(64) not null, "operation" text check ("operation" in ('activate', 'disconnect')) not null, "grant_id" uuid null, "created_at" timestamptz not null, constraint "connection_intents_pkey" primary key ("id"));`);
    this.addSql(`create index "connection_intents_tenant_connector_index" on "connection_intents" ("tenant_id", "connector");`);

    this.addSql(`alter table "connector_grants" add constraint "connector_grants_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "connection_intents" add constraint "connection_intents_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "connection_intents" add constraint "connection_intents_grant_id_foreign" foreign key ("grant_id") references "connector_grants" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "connector_events" drop constraint if exists "connector_events_action_check";`);

    this.addSql(`alter table "connector_installations" add column "grant_id" uuid null, add column "key_synced" boolean not null default true;`);
    this.addSql(`alter table "connector_installations" add constraint "connector_installations_grant_id_foreign" foreign key ("grant_id") references "connector_grants" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "connector_events" add constraint "connector_events_action_check" check("action" in ('connected', 'reconnected', 'disconnected', 'revocation_failed'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "connection_intents" drop constraint "connection_intents_grant_id_foreign";`);

    this.addSql(`alter table "connector_installations" drop constraint "connector_installations_grant_id_foreign";`);

    this.addSql(`create table "secret_key_checks" ("key_version" int4 not null, "nonce" bytea not null, "ciphertext" bytea not null, "created_at" timestamptz(6) not null default now(), constraint "secret_key_checks_pkey" primary key ("key_version"));`);

    this.addSql(`create table "sign_in_throttle" ("key" varchar(255) not null, "points" int4 not null default 0, "expire" int8 null, constraint "sign_in_throttle_pkey" primary key ("key"));`);
    this.addSql(`create index "sign_in_throttle_expire_index" on "sign_in_throttle" ("expire");`);

    this.addSql(`alter table "connector_events" drop constraint if exists "connector_events_action_check";`);

    this.addSql(`alter table "connector_events" add constraint "connector_events_action_check" check("action" in ('connected', 'reconnected', 'disconnected'));`);

    this.addSql(`alter table "connector_installations" drop column "grant_id", drop column "key_synced";`);
  }

}
