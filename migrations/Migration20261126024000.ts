import { Migration } from '@mikro-orm/migrations';

/**
 * Key check values for the local secret backend's master keys (server/secrets/key-checks.ts).
 * Written and read with plain SQL only, so the table has no entity and is not in the snapshot.
 */
export class Migration20261126024000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "secret_key_checks" ("key_version" int not null, "nonce" bytea not null, "ciphertext" bytea not null, "created_at" timestamptz not null default now(), constraint "secret_key_checks_pkey" primary key ("key_version"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "secret_key_checks";`);
  }

}
