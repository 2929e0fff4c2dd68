import { StringDecoder } from 'node:string_decoder';

/** What the CLI reads from: process.stdin, or a stream in tests. */
export interface CliInput extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

export interface Output {
  write(text: string): unknown;
}

/** A problem with how the password was (not) given: a usage error, exit code 2. */
export class PasswordInputError extends Error {
  override readonly name = 'PasswordInputError';
}

export const PASSWORD_ARGV_WARNING =
  'Warning: --password is visible to other users of this machine (ps, /proc) and stays in your shell history. ' +
  'Prefer the interactive prompt or --password-stdin.\n';

/**
 * The password from, in order: `--password` (with a warning), `--password-stdin` (the first
 * line of stdin), or a prompt without echo when stdin is a terminal. Anything else is a usage
 * error: a script must say where its password comes from.
 */
export async function readPassword(
  values: Record<string, string | boolean | undefined>,
  io: { stdin: CliInput; err: Output },
): Promise<string> {
  const fromArgv = values.password;
  const fromStdin = values['password-stdin'] === true;
  if (typeof fromArgv === 'string' && fromStdin) {
    throw new PasswordInputError('Give either --password or --password-stdin, not both.');
  }
  if (typeof fromArgv === 'string') {
    io.err.write(PASSWORD_ARGV_WARNING);
    return fromArgv;
  }
  if (fromStdin) {
    const line = await readFirstLine(io.stdin);
    if (!line) throw new PasswordInputError('--password-stdin: stdin held no password.');
    return line;
  }
  if (io.stdin.isTTY && io.stdin.setRawMode) {
    const [first = '', again] = await promptHidden(io.stdin, io.err, ['Password: ', 'Repeat password: ']);
    if (first !== again) throw new Error('The passwords do not match.');
    return first;
  }
  throw new PasswordInputError('No password: stdin is not a terminal, so use --password-stdin (or --password).');
}

/** The first line of the stream (without its line ending); the rest is left unread. */
async function readFirstLine(stream: CliInput): Promise<string> {
  const decoder = new StringDecoder('utf8');
  let text = '';
  for await (const chunk of stream) {
    text += typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
    if (text.includes('\n')) break;
  }
  text += decoder.end();
  const newline = text.indexOf('\n');
  return (newline === -1 ? text : text.slice(0, newline)).replace(/\r$/, '');
}

/**
 * Reads one line per prompt from a terminal in raw mode, echoing nothing. Enter ends a line,
 * Backspace deletes, Ctrl-C cancels; Ctrl-D on an empty line ends it too. One listener for
 * all the lines, so a pasted "secret\rsecret\r" answers both prompts.
 */
function promptHidden(stdin: CliInput, err: Output, prompts: string[]): Promise<string[]> {
  const decoder = new StringDecoder('utf8');
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    let value = '';
    const finish = (error?: Error) => {
      stdin.removeListener('data', onData);
      stdin.removeListener('end', onEnd);
      stdin.setRawMode?.(false);
      stdin.pause();
      if (error) {
        err.write('\n');
        reject(error);
      } else resolve(lines);
    };
    /** Ends the current line; true when every prompt has its answer. */
    const endLine = () => {
      lines.push(value);
      value = '';
      err.write('\n');
      if (lines.length === prompts.length) return true;
      err.write(prompts[lines.length]!);
      return false;
    };
    const onEnd = () => {
      while (lines.length < prompts.length) endLine();
      finish();
    };
    const onData = (chunk: Buffer | string) => {
      const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
      for (const char of text) {
        if (char === '\u0003') return finish(new Error('Cancelled.'));
        if (char === '\r' || char === '\n' || (char === '\u0004' && value === '')) {
          if (endLine()) return finish();
        } else if (char === '\u007f' || char === '\b') value = Array.from(value).slice(0, -1).join('');
        else if (char >= ' ') value += char;
      }
    };
    err.write(prompts[0]!);
    stdin.setRawMode?.(true);
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume();
  });
}
