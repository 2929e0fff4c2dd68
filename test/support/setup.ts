/**
 * Runs in every test file: an unexpected console.error fails the test (Epic Stack's rule).
 * A test that expects one calls allowConsoleError() from ./console.js.
 */
import { afterEach, beforeEach, vi, type MockInstance } from 'vitest';
import { consoleErrorPolicy } from './console.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

let spy: MockInstance<typeof console.error>;
beforeEach(() => {
  consoleErrorPolicy.allowed = false;
  spy = vi.spyOn(console, 'error');
});
afterEach(() => {
  const calls = [...spy.mock.calls];
  spy.mockRestore();
  if (calls.length > 0 && !consoleErrorPolicy.allowed) {
    throw new Error(`console.error was called during the test:\n${calls.map((c) => c.map(String).join(' ')).join('\n')}`);
  }
});
