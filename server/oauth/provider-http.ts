import { ProviderError, type ProviderStep } from './provider-error.js';

/**
 * `fetch` with a deadline, for calls to providers. Network failures and timeouts become
 * ProviderErrors that carry no URL query, body or header.
 */
export function providerFetch(step: ProviderStep, timeoutMs: number) {
  return async (url: string, init: RequestInit = {}): Promise<Response> => {
    try {
      return await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const name = (error as Error).name;
      throw new ProviderError(step, null, name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network');
    }
  };
}

/** Reads a JSON body, turning anything unparsable into a ProviderError. */
export async function readJson(step: ProviderStep, response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') throw new ProviderError(step, response.status, 'timeout');
    throw new ProviderError(step, response.status, 'malformed_response');
  }
}
