import { Migration } from '@mikro-orm/migrations';

export class Migration20261126050647 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "account_choices" ("id" uuid not null, "connector" varchar(64) not null, "tenant_id" uuid not null, "user_id" uuid not null, "session_id" uuid not null, "grant_id" uuid not null, "accounts" jsonb not null, "token" jsonb not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, constraint "account_choices_pkey" primary key ("id"));`);
    this.addSql(`create index "account_choices_expires_at_index" on "account_choices" ("expires_at");`);

    this.addSql(`alter table "account_choices" add constraint "account_choices_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "account_choices" add constraint "account_choices_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "account_choices" add constraint "account_choices_session_id_foreign" foreign key ("session_id") references "sessions" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "account_choices" add constraint "account_choices_grant_id_foreign" foreign key ("grant_id") references "connector_grants" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "account_choices" cascade;`);
  }

}
