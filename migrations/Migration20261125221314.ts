import { Migration } from '@mikro-orm/migrations';

export class Migration20261125221314 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "connector_installations" drop constraint valid_connector_type;`);

    this.addSql(`alter table "connector_installations" add constraint valid_connector_type check(array[type::text] <@ array['asana', 'confluence', 'gather', 'github', 'gong', 'google_drive', 'google_email', 'hubspot', 'intercom', 'jira', 'linear', 'notion', 'salesforce', 'slack', 'trello', 'zendesk']::text[]);`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "connector_installations" drop constraint valid_connector_type;`);

    this.addSql(`alter table "connector_installations" add constraint valid_connector_type check(ARRAY[type] <@ ARRAY['asana'::text, 'confluence'::text, 'gather'::text, 'github'::text, 'gong'::text, 'google_drive'::text, 'google_email'::text, 'hubspot'::text, 'jira'::text, 'linear'::text, 'notion'::text, 'salesforce'::text, 'slack'::text, 'trello'::text, 'zendesk'::text]);`);
  }

}
