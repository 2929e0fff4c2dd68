const state = { allowed: false };

/** Call in a test that expects console.error; otherwise any call fails the test. */
export function allowConsoleError(): void {
  state.allowed = true;
}

export const consoleErrorPolicy = state;
