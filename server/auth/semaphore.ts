/** Thrown when the wait queue is full: the caller should answer "busy, retry shortly". */
export class SemaphoreFullError extends Error {
  override readonly name = 'SemaphoreFullError';
}

/**
 * At most `limit` tasks run at once; up to `maxWaiting` more wait in FIFO order, and any
 * beyond that are refused at once, so a flood is answered fast instead of piling up.
 */
export class Semaphore {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly limit: number,
    readonly maxWaiting: number,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
    if (!Number.isInteger(maxWaiting) || maxWaiting < 0) throw new RangeError('maxWaiting must be a non-negative integer');
  }

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.limit) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.maxWaiting) {
      return Promise.reject(new SemaphoreFullError(`${this.waiting.length} tasks already waiting`));
    }
    // The slot passes straight from the releasing task to the next waiter: `running` stays put.
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
