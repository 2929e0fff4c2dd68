import { Migration } from '@mikro-orm/migrations';

export class Migration20261126022418 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "sessions" add column "last_seen_at" timestamptz not null default current_timestamp;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "sessions" drop column "last_seen_at";`);
  }

}
