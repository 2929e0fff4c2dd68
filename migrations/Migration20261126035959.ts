import { Migration } from '@mikro-orm/migrations';

export class Migration20261126035959 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "connector_grants" add column "settings" jsonb null;`);

    this.addSql(`alter table "oauth_states" add column "settings" jsonb null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "connector_grants" drop column "settings";`);

    this.addSql(`alter table "oauth_states" drop column "settings";`);
  }

}
