// The migrations the Migrator runs, in order. `npm run db:migration:create` rewrites this file.
import { Migration20261125221311 } from './Migration20261125221311.js';
import { Migration20261125221314 } from './Migration20261125221314.js';
import { Migration20261125222406 } from './Migration20261125222406.js';
import { Migration20261125223024 } from './Migration20261125223024.js';
import { Migration20261126022418 } from './Migration20261126022418.js';
import { Migration20261126023000 } from './Migration20261126023000.js';
import { Migration20261126024000 } from './Migration20261126024000.js';
import { Migration20261126024806 } from './Migration20261126024806.js';
import { Migration20261126035959 } from './Migration20261126035959.js';
import { Migration20261126050647 } from './Migration20261126050647.js';
import { Migration20261126052710 } from './Migration20261126052710.js';

export const migrationsList = [
  { name: 'Migration20261125221311', class: Migration20261125221311 },
  { name: 'Migration20261125221314', class: Migration20261125221314 },
  { name: 'Migration20261125222406', class: Migration20261125222406 },
  { name: 'Migration20261125223024', class: Migration20261125223024 },
  { name: 'Migration20261126022418', class: Migration20261126022418 },
  { name: 'Migration20261126023000', class: Migration20261126023000 },
  { name: 'Migration20261126024000', class: Migration20261126024000 },
  { name: 'Migration20261126024806', class: Migration20261126024806 },
  { name: 'Migration20261126035959', class: Migration20261126035959 },
  { name: 'Migration20261126050647', class: Migration20261126050647 },
  { name: 'Migration20261126052710', class: Migration20261126052710 },
];
