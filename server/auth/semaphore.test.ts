import { describe, expect, it } from 'vitest';
import { Semaphore, SemaphoreFullError } from './semaphore.js';

/** A task that stays running until its `finish` is called. */
function gate() {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { done, finish };
}

describe('Semaphore', () => {
  it('never runs more than `limit` tasks at once and runs the waiters in order', async () => {
    const semaphore = new Semaphore(2, 10);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const gates = Array.from({ length: 6 }, gate);
    const results = gates.map((g, i) =>
      semaphore.run(async () => {
        started.push(i);
        running++;
        peak = Math.max(peak, running);
        await g.done;
        running--;
        return i;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(semaphore.queued).toBe(4);
    // Finish them out of order: a freed slot always goes to the oldest waiter.
    for (const i of [1, 0, 3, 2, 5, 4]) {
      gates[i]!.finish();
      await new Promise((resolve) => setImmediate(resolve));
      expect(running).toBeLessThanOrEqual(2);
    }
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
    expect(semaphore.active).toBe(0);
  });

  it('rejects at once when the wait queue is full, and accepts again once it drains', async () => {
    const semaphore = new Semaphore(1, 2);
    const g = gate();
    const accepted = [semaphore.run(() => g.done), semaphore.run(() => Promise.resolve()), semaphore.run(() => Promise.resolve())];
    await expect(semaphore.run(() => Promise.resolve())).rejects.toBeInstanceOf(SemaphoreFullError);
    g.finish();
    await Promise.all(accepted);
    await expect(semaphore.run(() => Promise.resolve('again'))).resolves.toBe('again');
  });

  it('frees the slot when a task fails', async () => {
    const semaphore = new Semaphore(1, 0);
    await expect(semaphore.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(semaphore.run(() => Promise.resolve(1))).resolves.toBe(1);
  });
});
