import { randomBytes } from 'node:crypto';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Orm } from '../../db/orm.js';
import type { SecretBackend } from '../../server/secrets/backend.js';
import { LocalSecretBackend } from '../../server/secrets/local-backend.js';
import { SsmSecretBackend } from '../../server/secrets/ssm-backend.js';
import { afterAll, beforeAll } from 'vitest';
import { startSsmEndpoint, type SsmEndpoint } from './ssm-endpoint.js';

/** The real AWS SDK pointed at the loopback SSM endpoint, one request per attempt. */
export function ssmClientFor(endpoint: SsmEndpoint): SSMClient {
  return new SSMClient({
    endpoint: endpoint.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}

export function ssmBackend(endpoint: SsmEndpoint, options: { prefix?: string; kmsKeyId?: string } = {}): SecretBackend {
  return new SsmSecretBackend({ client: ssmClientFor(endpoint), sleep: () => Promise.resolve(), ...options });
}

export function localBackend(orm: Orm, key: Buffer = randomBytes(32)): LocalSecretBackend {
  return new LocalSecretBackend({ orm, current: { version: 1, key } });
}

/** One loopback SSM endpoint for a test file, closed after it. */
export function useSsmEndpoint(): { readonly current: SsmEndpoint } {
  const handle: { current?: SsmEndpoint } = {};
  beforeAll(async () => {
    handle.current = await startSsmEndpoint();
  });
  afterAll(async () => {
    await handle.current?.close();
  });
  return {
    get current() {
      if (!handle.current) throw new Error('useSsmEndpoint(): only available inside tests');
      return handle.current;
    },
  };
}
