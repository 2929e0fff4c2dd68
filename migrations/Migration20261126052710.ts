import { Migration } from '@mikro-orm/migrations';

export class Migration20261126052710 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "service_keys" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "name" varchar(64) not null, "key_hash" varchar(64) not null, "prefix" varchar(16) not null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, constraint "service_keys_pkey" primary key ("id"));`);
    this.addSql(`alter table "service_keys" add constraint "service_keys_name_unique" unique ("name");`);
    this.addSql(`alter table "service_keys" add constraint "service_keys_key_hash_unique" unique ("key_hash");`);

    this.addSql(`alter table "connection_intents" drop constraint if exists "connection_intents_operation_check";`);

    this.addSql(`alter table "connector_events" drop constraint if exists "connector_events_action_check";`);

    this.addSql(`alter table "connection_intents" add constraint "connection_intents_operation_check" check("operation" in ('activate', 'disconnect', 'refresh'));`);

    this.addSql(`alter table "connector_installations" add column "health" text check ("health" in ('healthy', 'refresh_failing', 'needs_reconnect')) not null default 'healthy', add column "health_reason" varchar(255) null, add column "health_changed_at" timestamptz null, add column "expires_at" timestamptz null, add column "scopes" text null, add column "last_refreshed_at" timestamptz null, add column "verified_at" timestamptz null, add column "failures" int not null default 0, add column "next_attempt_at" timestamptz null, add column "lease_until" timestamptz null, add column "token_version" int not null default 0;`);
    this.addSql(`create index "connector_installations_status_expires_index" on "connector_installations" ("status", "expires_at");`);

    this.addSql(`alter table "connector_events" add column "detail" varchar(255) null;`);
    this.addSql(`alter table "connector_events" add constraint "connector_events_action_check" check("action" in ('connected', 'reconnected', 'disconnected', 'revocation_failed', 'refresh_failing', 'needs_reconnect', 'recovered'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "service_keys" cascade;`);

    this.addSql(`alter table "connection_intents" drop constraint if exists "connection_intents_operation_check";`);

    this.addSql(`alter table "connector_events" drop constraint if exists "connector_events_action_check";`);

    this.addSql(`alter table "connection_intents" add constraint "connection_intents_operation_check" check("operation" in ('activate', 'disconnect'));`);

    this.addSql(`alter table "connector_events" drop column "detail";`);

    this.addSql(`alter table "connector_events" add constraint "connector_events_action_check" check("action" in ('connected', 'reconnected', 'disconnected', 'revocation_failed'));`);

    this.addSql(`drop index "connector_installations_status_expires_index";`);
    this.addSql(`alter table "connector_installations" drop column "health", drop column "health_reason", drop column "health_changed_at", drop column "expires_at", drop column "scopes", drop column "last_refreshed_at", drop column "verified_at", drop column "failures", drop column "next_attempt_at", drop column "lease_until", drop column "token_version";`);
  }

}
