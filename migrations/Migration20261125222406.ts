import { Migration } from '@mikro-orm/migrations';

export class Migration20261125222406 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "secret_values" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "tenant_id" uuid not null, "key" varchar(128) not null, "ciphertext" bytea not null, "nonce" bytea not null, "key_version" int not null, "version" int not null, constraint "secret_values_pkey" primary key ("id"));`);
    this.addSql(`alter table "secret_values" add constraint "secret_values_tenant_id_key_unique" unique ("tenant_id", "key");`);

    this.addSql(`alter table "secret_values" add constraint "secret_values_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on update cascade on delete cascade;`);
  }

}
