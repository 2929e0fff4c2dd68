/**
 * Database maintenance: `npm run db:migrate | db:status | db:migration:create | db:migration:check`.
 * Uses DATABASE_URL, or starts the embedded PostgreSQL like `npm start` does.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveDatabase } from '../../db/database.js';
import { migrate, migrationStatus, openOrm } from '../../db/orm.js';
import { parseEnv } from '../env.js';
import { createLogger } from '../logger.js';
import { startupFailureMessage } from '../startup-errors.js';

const migrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

/** Rewrite migrations/index.ts from the files present, so the list can never drift. */
export function writeMigrationsIndex(): void {
  const names = readdirSync(migrationsDir)
    .filter((f) => /^Migration\d{14}.*\.ts$/.test(f))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort();
  const imports = names.map((n) => `import { ${n} } from './${n}.js';`).join('\n');
  const entries = names.map((n) => `  { name: '${n}', class: ${n} },`).join('\n');
  writeFileSync(
    path.join(migrationsDir, 'index.ts'),
    `// The migrations the Migrator runs, in order. \`npm run db:migration:create\` rewrites this file.\n` +
      `${imports}\n\nexport const migrationsList = [\n${entries}\n];\n`,
  );
}

async function main(command: string | undefined): Promise<number> {
  const env = parseEnv();
  const logger = createLogger({ level: env.LOG_LEVEL === 'info' ? 'warn' : env.LOG_LEVEL });
  const database = await resolveDatabase(env, logger);
  const orm = await openOrm(database.url, { poolMax: 2 }).catch(async (error: unknown) => {
    await database.stop();
    throw error;
  });
  try {
    switch (command) {
      case 'migrate': {
        const applied = await migrate(orm);
        console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Up to date.');
        return 0;
      }
      case 'status': {
        const { applied, pending } = await migrationStatus(orm);
        for (const name of applied) console.log(`applied  ${name}`);
        for (const name of pending) console.log(`pending  ${name}`);
        if (!applied.length && !pending.length) console.log('No migrations.');
        return 0;
      }
      case 'migration:create': {
        await migrate(orm);
        const result = await orm.getMigrator().createMigration();
        if (!result.fileName) {
          console.log('Entities and migrations agree: nothing to generate.');
          return 0;
        }
        writeMigrationsIndex();
        console.log(`Created migrations/${result.fileName}; review it, then run npm run db:migrate.`);
        return 0;
      }
      case 'migration:check': {
        await migrate(orm);
        if (await orm.getMigrator().checkMigrationNeeded()) {
          console.error('Entities and migrations disagree: run npm run db:migration:create and commit the result.');
          return 1;
        }
        console.log('Entities and migrations agree.');
        return 0;
      }
      default:
        console.error('usage: db <migrate|status|migration:create|migration:check>');
        return 2;
    }
  } finally {
    await orm.close();
    await database.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // See server/cli/main.ts on the explicit exit.
  try {
    process.exit(await main(process.argv[2]));
  } catch (error) {
    const message = startupFailureMessage(error);
    if (message === null) throw error;
    console.error(message);
    process.exit(1);
  }
}
