import { Migration } from '@mikro-orm/migrations';

/**
 * The store of rate-limiter-flexible's RateLimiterPostgres for sign-in throttling
 * (server/auth/sign-in-throttle.ts). It has no entity: the library owns the rows; the
 * columns are the ones it reads and writes. `expire` is epoch milliseconds.
 */
export class Migration20261126023000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "sign_in_throttle" ("key" varchar(255) not null, "points" integer not null default 0, "expire" bigint null, constraint "sign_in_throttle_pkey" primary key ("key"));`);
    this.addSql(`create index "sign_in_throttle_expire_index" on "sign_in_throttle" ("expire");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "sign_in_throttle";`);
  }

}
