import type { AppServices } from '../services.js';
import type { CliInput, Output } from './password-input.js';

/** What a CLI command is: its options, an optional terminal step, and the work. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type OptionSpec = { type: 'string' | 'boolean'; default?: string | boolean };

export interface CommandResult {
  text: string;
  json: unknown;
  /** 0 unless the command finished but reports a failure (its output still printed). */
  exitCode?: number;
}

/** The terminal, for commands that ask for something (a password) rather than take it from argv. */
export interface CommandIO {
  stdin: CliInput;
  err: Output;
}

export interface Command {
  usage: string;
  options: Record<string, OptionSpec>;
  /** Runs before the app boots; what it returns is merged into `values` for `run`. */
  readInput?(values: Record<string, string | boolean | undefined>, io: CommandIO): Promise<Record<string, string>>;
  run(services: AppServices, values: Record<string, string | boolean | undefined>): Promise<CommandResult>;
}
