const REDACTED = '[redacted]';

/**
 * A plaintext secret in memory. Every path that can print or serialise it (string
 * coercion, JSON, util.inspect, pino) yields `[redacted]`; only `reveal()` gives the
 * plaintext, so a grep for `reveal(` lists every place a secret leaves this wrapper.
 */
export class SecretValue {
  readonly #plaintext: string;

  constructor(plaintext: string) {
    if (typeof plaintext !== 'string' || plaintext.length === 0) {
      throw new TypeError('A secret value must be a non-empty string');
    }
    this.#plaintext = plaintext;
  }

  reveal(): string {
    return this.#plaintext;
  }

  /** First and last two characters at most, never more than a quarter of the value. */
  masked(): string {
    const v = this.#plaintext;
    if (v.length < 12) return '*'.repeat(Math.min(v.length, 8));
    return `${v.slice(0, 2)}${'*'.repeat(8)}${v.slice(-2)}`;
  }

  equals(other: SecretValue): boolean {
    return this.#plaintext === other.#plaintext;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `SecretValue(${REDACTED})`;
  }
}
