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
    /** The RFC 6749 §5.2 error code (`invalid_grant`, ...) when the provider sent one. */
    readonly oauthError: string | null = null,
  ) {
    super(
      failure === 'http_status'
        ? `Provider ${step} request failed with HTTP ${status}`
        : `Provider ${step} request failed: ${failure.replace('_', ' ')}`,
    );
  }
}
