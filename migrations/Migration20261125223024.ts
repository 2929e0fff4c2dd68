import { Migration } from '@mikro-orm/migrations';

export class Migration20261125223024 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "oauth_states" ("id" uuid not null, "state_hash" varchar(64) not null, "connector" varchar(64) not null, "tenant_id" uuid not null, "user_id" uuid not null, "session_id" uuid not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, constraint "oauth_states_pkey" primary key ("id"));`);
    this.addSql(`alter table "oauth_states" add constraint "oauth_states_state_hash_unique" unique ("state_hash");`);
    this.addSql(`create index "oauth_states_expires_at_index" on "oauth_states" ("expires_at");`);

    this.addSql(`create table "connector_events" ("id" uuid not null, "tenant_id" uuid not null, "connector" varchar(64) not null, "action" text check ("action" in ('connected', 'reconnected', 'disconnected')) not null, "actor_id" uuid null, "actor_email" varchar(320) not null, "external_account_name" varchar(255) null, "created_at" timestamptz not null, constraint "connector_events_pkey" primary key ("id"));`);
    this.addSql(`create index "connector_events_tenant_connector_created_index" on "connector_events" ("tenant_id", "connector", "created_at");`);

    this.addSql(`alter table "oauth_states" add constraint "oauth_states_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "oauth_states" add constraint "oauth_states_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "oauth_states" add constraint "oauth_states_session_id_foreign" foreign key ("session_id") references "sessions" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "connector_events" add constraint "connector_events_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "connector_events" add constraint "connector_events_actor_id_foreign" foreign key ("actor_id") references "users" ("id") on update cascade on delete set null;`);
  }

}
