import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';

it('importing the embedded database launcher leaves a process its own exit code', () => {
  // A process that sets exitCode and lets its event loop drain, as vitest does after a failure.
  const script = "await import('./db/embedded-postgres.ts'); process.exitCode = 3;";
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(child.stderr).toBe('');
  expect(child.status).toBe(3);
});
