import { Migration } from '@mikro-orm/migrations';

export class Migration20261125221311 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "tenants" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "slug" varchar(63) not null, "name" varchar(200) not null, constraint "tenants_pkey" primary key ("id"));`);
    this.addSql(`alter table "tenants" add constraint "tenants_slug_unique" unique ("slug");`);

    this.addSql(`create table "config_values" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "key" varchar(128) not null, "value" text not null, constraint "config_values_pkey" primary key ("id"));`);
    this.addSql(`alter table "config_values" add constraint "config_values_tenant_id_key_unique" unique ("tenant_id", "key");`);

    this.addSql(`create table "users" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "email" varchar(320) not null, "password_hash" varchar(255) not null, "role" text check ("role" in ('admin', 'member')) not null, constraint "users_pkey" primary key ("id"));`);
    this.addSql(`alter table "users" add constraint "users_email_unique" unique ("email");`);

    this.addSql(`create table "sessions" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "token_hash" varchar(64) not null, "user_id" uuid not null, "tenant_id" uuid not null, "expires_at" timestamptz not null, constraint "sessions_pkey" primary key ("id"));`);
    this.addSql(`alter table "sessions" add constraint "sessions_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "sessions_expires_at_index" on "sessions" ("expires_at");`);

    this.addSql(`create table "connector_installations" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "type" varchar(64) not null, "status" text check ("status" in ('active', 'disconnected')) not null, "external_account_id" varchar(255) null, "external_account_name" varchar(255) null, "installed_by_id" uuid null, "disconnected_by_id" uuid null, "disconnected_at" timestamptz null, constraint "connector_installations_pkey" primary key ("id"), constraint valid_connector_type check (array[type::text] <@ array['asana', 'confluence', 'gather', 'github', 'gong', 'google_drive', 'google_email', 'hubspot', 'jira', 'linear', 'notion', 'salesforce', 'slack', 'trello', 'zendesk']::text[]));`);
    this.addSql(`alter table "connector_installations" add constraint "connector_installations_tenant_id_type_unique" unique ("tenant_id", "type");`);

    this.addSql(`alter table "config_values" add constraint "config_values_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "users" add constraint "users_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "sessions" add constraint "sessions_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "sessions" add constraint "sessions_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "connector_installations" add constraint "connector_installations_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "connector_installations" add constraint "connector_installations_installed_by_id_foreign" foreign key ("installed_by_id") references "users" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "connector_installations" add constraint "connector_installations_disconnected_by_id_foreign" foreign key ("disconnected_by_id") references "users" ("id") on update cascade on delete set null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "config_values" drop constraint "config_values_tenant_id_foreign";`);

    this.addSql(`alter table "users" drop constraint "users_tenant_id_foreign";`);

    this.addSql(`alter table "sessions" drop constraint "sessions_tenant_id_foreign";`);

    this.addSql(`alter table "connector_installations" drop constraint "connector_installations_tenant_id_foreign";`);

    this.addSql(`alter table "sessions" drop constraint "sessions_user_id_foreign";`);

    this.addSql(`alter table "connector_installations" drop constraint "connector_installations_installed_by_id_foreign";`);

    this.addSql(`alter table "connector_installations" drop constraint "connector_installations_disconnected_by_id_foreign";`);
  }

}
