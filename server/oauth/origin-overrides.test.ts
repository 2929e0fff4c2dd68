import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  describeOriginOverrides,
  isInsecureTarget,
  OriginOverridesError,
  overridingFetch,
  parseOriginOverrides,
  rewriteUrl,
} from './origin-overrides.js';

const problemsOf = (value: string): readonly string[] => {
  try {
    parseOriginOverrides(value);
  } catch (error) {
    if (error instanceof OriginOverridesError) return error.problems;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(value)} to be refused`);
};

describe('parseOriginOverrides', () => {
  it('reads no overrides from an unset or blank value', () => {
    expect(parseOriginOverrides(undefined).size).toBe(0);
    expect(parseOriginOverrides('').size).toBe(0);
    expect(parseOriginOverrides('  ').size).toBe(0);
  });

  it('reads pairs, normalising both origins', () => {
    const overrides = parseOriginOverrides(
      ' https://API.Intercom.io=http://127.0.0.1:4010 ,https://app.intercom.com:443=https://LOCALHOST:8443,' +
        'https://slack.com:8443=http://[::1]:80',
    );
    expect([...overrides]).toEqual([
      ['https://api.intercom.io', 'http://127.0.0.1:4010'],
      ['https://app.intercom.com', 'https://localhost:8443'],
      ['https://slack.com:8443', 'http://[::1]'],
    ]);
  });

  it('names the variable and the bad pair', () => {
    expect(() => parseOriginOverrides('https://api.intercom.io')).toThrow(
      'PROVIDER_ORIGIN_OVERRIDES: "https://api.intercom.io" is not a pair like https://provider.example=http://127.0.0.1:4010',
    );
    expect(() => parseOriginOverrides('https://api.intercom.io/=http://127.0.0.1:1')).toThrow(
      /^PROVIDER_ORIGIN_OVERRIDES: "https:\/\/api.intercom.io\/=http:\/\/127.0.0.1:1": the source must be an https origin/,
    );
  });

  it.each([
    ['a path on the source', 'https://api.x.io/v1=http://127.0.0.1:1', 'the source must be an https origin'],
    ['a trailing slash on the target', 'https://api.x.io=http://127.0.0.1:1/', 'the target must be an http or https origin'],
    ['a query', 'https://api.x.io?a=http://127.0.0.1:1', 'the source must be an https origin'],
    ['a fragment', 'https://api.x.io#f=http://127.0.0.1:1', 'the source must be an https origin'],
    ['an http source', 'http://api.x.io=http://127.0.0.1:1', 'the source must be an https origin, not http:'],
    ['an ftp target', 'https://api.x.io=ftp://127.0.0.1:1', 'the target must be an http or https origin, not ftp:'],
    ['no scheme', 'api.x.io=http://127.0.0.1:1', 'the source must be an https origin'],
    ['an empty side', 'https://api.x.io=', 'the target must be an http or https origin'],
    ['a bad port', 'https://api.x.io=http://127.0.0.1:99999', 'the target must be'],
    ['two equals signs', 'https://a.io=http://b:1=http://c:2', 'is not a pair'],
    ['a stray comma', 'https://a.io=http://127.0.0.1:1,,https://b.io=http://127.0.0.1:2', 'entry 2 is empty'],
    ['a trailing comma', 'https://a.io=http://127.0.0.1:1,', 'entry 2 is empty'],
  ])('refuses %s', (_case, value, problem) => {
    const problems = problemsOf(value);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(problem);
  });

  it('refuses an origin given twice, however it is written', () => {
    expect(problemsOf('https://api.x.io=http://127.0.0.1:1,https://API.X.IO:443=http://127.0.0.1:2')).toEqual([
      '"https://API.X.IO:443=http://127.0.0.1:2": https://api.x.io is overridden more than once',
    ]);
  });

  it('reports every bad pair at once', () => {
    const problems = problemsOf('http://a.io=http://127.0.0.1:1,https://b.io=http://127.0.0.1:2,nonsense');
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain('"http://a.io=http://127.0.0.1:1"');
    expect(problems[1]).toContain('"nonsense"');
  });

  it('never repeats credentials written into a pair', () => {
    const problems = problemsOf('https://api.x.io=http://user:hunter2@127.0.0.1:1');
    expect(problems[0]).toContain('the target must be an http or https origin');
    expect(problems.join()).not.toContain('hunter2');
    expect(problems.join()).toContain('//***@127.0.0.1:1');
  });
});

describe('rewriteUrl', () => {
  const overrides = parseOriginOverrides(
    'https://api.intercom.io=http://127.0.0.1:4010,https://app.intercom.com=https://localhost:8443,' +
      'https://api.eu.intercom.io:8443=http://127.0.0.1:4011',
  );

  it('changes only the origin, keeping path, query and fragment byte for byte', () => {
    expect(rewriteUrl('https://api.intercom.io/auth/eagle/token', overrides)).toBe('http://127.0.0.1:4010/auth/eagle/token');
    const authorize =
      'https://app.intercom.com/oauth?client_id=abc&state=x%2Fy%3D%3D&redirect_uri=https%3A%2F%2Fa.example%2Fcb&code=abc==#frag';
    expect(rewriteUrl(authorize, overrides)).toBe(
      'https://localhost:8443/oauth?client_id=abc&state=x%2Fy%3D%3D&redirect_uri=https%3A%2F%2Fa.example%2Fcb&code=abc==#frag',
    );
    // Characters the URL parser would re-encode stay as written.
    expect(rewriteUrl("https://api.intercom.io/a b/%7e?q='x y'&z=%zz", overrides)).toBe(
      "http://127.0.0.1:4010/a b/%7e?q='x y'&z=%zz",
    );
    expect(rewriteUrl('https://api.intercom.io', overrides)).toBe('http://127.0.0.1:4010');
    expect(rewriteUrl('https://api.intercom.io?a=1', overrides)).toBe('http://127.0.0.1:4010?a=1');
  });

  it('matches by origin: host case and an explicit default port do not matter', () => {
    expect(rewriteUrl('https://API.Intercom.IO/me', overrides)).toBe('http://127.0.0.1:4010/me');
    expect(rewriteUrl('https://api.intercom.io:443/me', overrides)).toBe('http://127.0.0.1:4010/me');
    expect(rewriteUrl('HTTPS://api.intercom.io/me', overrides)).toBe('http://127.0.0.1:4010/me');
  });

  it('distinguishes ports and schemes', () => {
    expect(rewriteUrl('https://api.eu.intercom.io:8443/me', overrides)).toBe('http://127.0.0.1:4011/me');
    expect(rewriteUrl('https://api.eu.intercom.io/me', overrides)).toBe('https://api.eu.intercom.io/me');
    expect(rewriteUrl('https://api.intercom.io:8443/me', overrides)).toBe('https://api.intercom.io:8443/me');
    expect(rewriteUrl('http://api.intercom.io/me', overrides)).toBe('http://api.intercom.io/me');
    expect(rewriteUrl('https://api.intercom.io.evil.example/me', overrides)).toBe('https://api.intercom.io.evil.example/me');
  });

  it('leaves other URLs exactly as given', () => {
    for (const url of ['https://slack.com/api/x?a=%7e', 'not a url', '/relative/path', 'https://API.slack.com:443/x']) {
      expect(rewriteUrl(url, overrides)).toBe(url);
    }
    expect(rewriteUrl('https://api.intercom.io/me', new Map())).toBe('https://api.intercom.io/me');
  });

  it('handles URLs written unusually: backslashes kept, surrounding spaces dropped', () => {
    expect(rewriteUrl('https:\\\\api.intercom.io\\me?x=1', overrides)).toBe('http://127.0.0.1:4010\\me?x=1');
    expect(rewriteUrl(' https://api.intercom.io/me?x=1 ', overrides)).toBe('http://127.0.0.1:4010/me?x=1');
  });
});

describe('isInsecureTarget and describeOriginOverrides', () => {
  it('calls plain http insecure unless it stays on loopback', () => {
    expect(isInsecureTarget('http://127.0.0.1:4010')).toBe(false);
    expect(isInsecureTarget('http://127.3.2.1')).toBe(false);
    expect(isInsecureTarget('http://localhost:3000')).toBe(false);
    expect(isInsecureTarget('http://fake.localhost')).toBe(false);
    expect(isInsecureTarget('http://[::1]:8080')).toBe(false);
    expect(isInsecureTarget('https://mirror.example')).toBe(false);
    expect(isInsecureTarget('http://mirror.example')).toBe(true);
    expect(isInsecureTarget('http://10.0.0.5:4010')).toBe(true);
    expect(isInsecureTarget('http://127.0.0.1.nip.io')).toBe(true);
    expect(isInsecureTarget('nonsense')).toBe(true);
  });

  it('describes the overrides for a log line', () => {
    expect(describeOriginOverrides(parseOriginOverrides('https://a.io=http://127.0.0.1:1,https://b.io=https://c.io'))).toBe(
      'https://a.io → http://127.0.0.1:1, https://b.io → https://c.io',
    );
  });
});

interface Seen {
  readonly server: string;
  readonly method: string;
  readonly url: string;
  readonly header: string | undefined;
  readonly body: string;
}

describe('overridingFetch against local servers', () => {
  const servers: Server[] = [];
  const seen: Seen[] = [];
  let provider = '';
  let other = '';

  const listen = async (name: string): Promise<string> => {
    const server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        seen.push({ server: name, method: req.method ?? '', url: req.url ?? '', header: req.headers['x-test'] as string | undefined, body });
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ server: name }));
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  beforeAll(async () => {
    provider = await listen('fake-provider');
    other = await listen('other');
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });

  const wrapped = () => overridingFetch(fetch, parseOriginOverrides(`https://api.provider.example=${provider}`));
  const last = (): Seen => seen.at(-1)!;

  it('sends a string URL to the target, path and query as written', async () => {
    const response = await wrapped()('https://api.provider.example/v1/me?q=a%20b&code=xyz==&r=%2F', {
      headers: { 'x-test': 'yes' },
    });
    expect(await response.json()).toEqual({ server: 'fake-provider' });
    expect(last()).toMatchObject({ method: 'GET', url: '/v1/me?q=a%20b&code=xyz==&r=%2F', header: 'yes' });
  });

  it('sends a URL object to the target', async () => {
    const response = await wrapped()(new URL('https://API.provider.example:443/token?x=1'), { method: 'POST', body: 'a=1' });
    expect(await response.json()).toEqual({ server: 'fake-provider' });
    expect(last()).toMatchObject({ method: 'POST', url: '/token?x=1', body: 'a=1' });
  });

  it('sends a Request object to the target with its method, headers and body', async () => {
    const request = new Request('https://api.provider.example/auth/eagle/token', {
      method: 'POST',
      headers: { 'x-test': 'request', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'code=abc%3D%3D&client_id=id',
      redirect: 'error',
    });
    const response = await wrapped()(request);
    expect(await response.json()).toEqual({ server: 'fake-provider' });
    expect(last()).toMatchObject({
      method: 'POST',
      url: '/auth/eagle/token',
      header: 'request',
      body: 'code=abc%3D%3D&client_id=id',
    });
  });

  it('leaves requests to other origins alone', async () => {
    const response = await wrapped()(`${other}/untouched?a=1`);
    expect(await response.json()).toEqual({ server: 'other' });
    expect(last()).toMatchObject({ server: 'other', url: '/untouched?a=1' });
    const viaRequest = await wrapped()(new Request(`${other}/req`, { method: 'DELETE' }));
    expect(await viaRequest.json()).toEqual({ server: 'other' });
    expect(last()).toMatchObject({ server: 'other', method: 'DELETE', url: '/req' });
  });

  it('is the given fetch itself without overrides', () => {
    expect(overridingFetch(fetch, new Map())).toBe(fetch);
  });
});
