/** One-shot faults the tests queue per endpoint: a status, a delay, or a cut-off JSON body. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Reply } from './http.js';
import type { SandboxEndpoint } from './profile.js';

export type SandboxFault =
  /** Answer with this status; the body defaults to the profile's error answer. */
  | { readonly status: number; readonly body?: string; readonly contentType?: string }
  /** Wait, then answer normally (the request is processed after the wait). */
  | { readonly delayMs: number }
  /** 200, `application/json`, and a truncated JSON body. */
  | { readonly malformedJson: true };

/** setTimeout's ceiling; a larger delay would fire at once. */
const MAX_DELAY_MS = 2_147_483_647;
const ENDPOINTS: readonly SandboxEndpoint[] = ['token', 'revoke', 'identity'];

function validate(endpoint: SandboxEndpoint, fault: SandboxFault): void {
  if (!ENDPOINTS.includes(endpoint)) throw new TypeError(`Unknown sandbox endpoint: ${String(endpoint)}`);
  if ('status' in fault) {
    if (!Number.isInteger(fault.status) || fault.status < 200 || fault.status > 599) throw new RangeError(`Fault status must be an integer from 200 to 599, got ${fault.status}`);
  } else if ('delayMs' in fault) {
    if (!Number.isFinite(fault.delayMs) || fault.delayMs < 0 || fault.delayMs > MAX_DELAY_MS) throw new RangeError(`Fault delayMs must be from 0 to ${MAX_DELAY_MS}, got ${fault.delayMs}`);
  } else if (!('malformedJson' in fault) || fault.malformedJson !== true) {
    throw new TypeError('A fault is { status, body?, contentType? }, { delayMs } or { malformedJson: true }');
  }
}

function guessContentType(body: string): string {
  try {
    JSON.parse(body);
    return 'application/json; charset=utf-8';
  } catch {
    return 'text/plain; charset=utf-8';
  }
}

export interface FaultReplies {
  /** The endpoint's error answer for a status fault without a body. */
  error(endpoint: SandboxEndpoint, status: number): Reply;
  /** What the endpoint would answer in full; the fault sends its first half. */
  sample(endpoint: SandboxEndpoint): unknown;
}

/** `signal` (the sandbox closing) wakes a pending delay, which then rejects. */
export function faultQueue(replies: FaultReplies, signal: AbortSignal) {
  const queued: Record<SandboxEndpoint, SandboxFault[]> = { token: [], revoke: [], identity: [] };
  return {
    next(endpoint: SandboxEndpoint, fault: SandboxFault): void {
      validate(endpoint, fault);
      queued[endpoint].push({ ...fault });
    },
    clear(): void {
      for (const list of Object.values(queued)) list.length = 0;
    },
    /** The reply to send instead, or null to answer normally (after any delay). */
    async take(endpoint: SandboxEndpoint): Promise<Reply | null> {
      const fault = queued[endpoint].shift();
      if (!fault) return null;
      if ('delayMs' in fault) {
        await sleep(fault.delayMs, undefined, { signal });
        return null;
      }
      const headers = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
      if ('malformedJson' in fault) {
        const whole = JSON.stringify(replies.sample(endpoint) ?? {});
        return { status: 200, headers, body: whole.slice(0, Math.max(1, Math.floor(whole.length / 2))) };
      }
      // 204 and 304 carry no body.
      if (fault.status === 204 || fault.status === 304) return { status: fault.status, headers: {}, body: '' };
      if (fault.body === undefined) return { ...replies.error(endpoint, fault.status), status: fault.status };
      return { status: fault.status, headers: { ...headers, 'content-type': fault.contentType ?? guessContentType(fault.body) }, body: fault.body };
    },
  };
}

export type FaultQueue = ReturnType<typeof faultQueue>;
