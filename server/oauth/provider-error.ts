export type ProviderStep = 'token' | 'identify' | 'revoke';
export type ProviderFailure = 'http_status' | 'timeout' | 'network' | 'malformed_response';

/**
 * A provider call failed. Carries the step and HTTP status only: provider bodies can echo
 * codes or tokens, so they are never kept, logged or shown.
 */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  constructor(
    readonly step: ProviderStep,
    readonly status: number | null,
    readonly failure: ProviderFailure = 'http_status',
  ) {
    super(
      failure === 'http_status'
        ? `Provider ${step} request failed with HTTP ${status}`
        : `Provider ${step} request failed: ${failure.replace('_', ' ')}`,
    );
  }
}
