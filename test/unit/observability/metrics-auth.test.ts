// /metrics behind TokenReview + SubjectAccessReview: no or malformed token 401, unknown token 401, a known
// identity without `get /metrics` 403, an allowed one 200; the probes stay open; decisions are cached by token
// for the TTL; a failing review answers 503 and is not cached. Also the review requests' shapes.
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { KubeAccessReviewer } from '../../../src/k8s/access-review.js';
import type { AccessReviewer, ReviewedUser } from '../../../src/observability/metrics-auth.js';
import { createProbeApp } from '../../../src/observability/server.js';
import { RecordingRest } from '../k8s/recording-rest.js';

class FakeReviewer implements AccessReviewer {
  calls = 0;
  fail = false;
  constructor(
    private readonly users: Record<string, ReviewedUser>,
    private readonly allowed: Set<string>,
  ) {}
  async authenticate(token: string) {
    this.calls += 1;
    if (this.fail) throw new Error('apiserver unreachable');
    return this.users[token];
  }
  async authorize(user: ReviewedUser, verb: string, path: string) {
    return verb === 'get' && path === '/metrics' && this.allowed.has(user.username);
  }
}

async function serve(reviewer: AccessReviewer, now: () => number = Date.now) {
  const registry = new Registry();
  const app = createProbeApp({
    registry,
    readiness: { ok: () => true },
    metricsAuth: { reviewer, cacheTtlMs: 10_000, now },
  });
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const get = (path: string, token?: string) =>
    fetch(base + path, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  return { get, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe('/metrics authentication', () => {
  const reviewer = () =>
    new FakeReviewer(
      {
        'scraper-token': { username: 'system:serviceaccount:monitoring:prometheus' },
        'nosy-token': { username: 'system:serviceaccount:default:nosy' },
      },
      new Set(['system:serviceaccount:monitoring:prometheus']),
    );

  it('answers 401 without a token, with a malformed one, or with one the apiserver rejects', async () => {
    const server = await serve(reviewer());
    try {
      const none = await server.get('/metrics');
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      expect((await fetch(none.url, { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } })).status).toBe(401);
      expect((await server.get('/metrics', 'bad token with spaces')).status).toBe(401);
      // Oversized: our own limit, or Node's header limit (431) before it.
      expect([401, 431]).toContain((await server.get('/metrics', 'x'.repeat(20_000))).status);
      expect((await server.get('/metrics', 'forged-token')).status).toBe(401);
    } finally {
      await server.close();
    }
  });

  it('answers 403 to an identity without get on /metrics and 200 to one with it', async () => {
    const server = await serve(reviewer());
    try {
      const forbidden = await server.get('/metrics', 'nosy-token');
      expect(forbidden.status).toBe(403);
      expect(await forbidden.text()).toContain('system:serviceaccount:default:nosy');
      const allowed = await server.get('/metrics', 'scraper-token');
      expect(allowed.status).toBe(200);
      expect(allowed.headers.get('content-type')).toContain('text/plain');
    } finally {
      await server.close();
    }
  });

  it('keeps /healthz and /readyz open for the kubelet', async () => {
    const server = await serve(reviewer());
    try {
      expect((await server.get('/healthz')).status).toBe(200);
      expect((await server.get('/readyz')).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('reuses a decision for the TTL, then reviews again; a failed review is 503 and not cached', async () => {
    let now = 1_000_000;
    const fake = reviewer();
    const server = await serve(fake, () => now);
    try {
      for (let i = 0; i < 5; i++) expect((await server.get('/metrics', 'scraper-token')).status).toBe(200);
      expect(fake.calls).toBe(1);
      now += 10_001;
      fake.fail = true;
      expect((await server.get('/metrics', 'scraper-token')).status).toBe(503);
      fake.fail = false;
      expect((await server.get('/metrics', 'scraper-token')).status).toBe(200);
      expect(fake.calls).toBe(3);
    } finally {
      await server.close();
    }
  });
});

describe('KubeAccessReviewer', () => {
  it('sends a TokenReview and a SubjectAccessReview for the non-resource URL', async () => {
    const rest = new RecordingRest();
    rest.respond = (req) =>
      req.path.endsWith('/tokenreviews')
        ? { status: { authenticated: true, user: { username: 'alice', uid: 'u1', groups: ['g'] } } }
        : { status: { allowed: true } };
    const reviewer = new KubeAccessReviewer(rest);
    const user = await reviewer.authenticate('t0k3n');
    expect(user).toEqual({ username: 'alice', uid: 'u1', groups: ['g'] });
    expect(await reviewer.authorize(user!, 'get', '/metrics')).toBe(true);
    expect(rest.requests.map((r) => [r.method, r.path, r.verb, r.resource])).toEqual([
      ['POST', '/apis/authentication.k8s.io/v1/tokenreviews', 'create', 'tokenreviews'],
      ['POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', 'create', 'subjectaccessreviews'],
    ]);
    expect(rest.requests[0]!.body).toMatchObject({ kind: 'TokenReview', spec: { token: 't0k3n' } });
    expect(rest.requests[1]!.body).toMatchObject({
      kind: 'SubjectAccessReview',
      spec: { user: 'alice', uid: 'u1', groups: ['g'], nonResourceAttributes: { path: '/metrics', verb: 'get' } },
    });
  });

  it('treats unauthenticated tokens and denied or unanswered reviews as no', async () => {
    const rest = new RecordingRest();
    rest.respond = (req) =>
      req.path.endsWith('/tokenreviews') ? { status: { authenticated: false, error: 'invalid' } } : { status: {} };
    const reviewer = new KubeAccessReviewer(rest);
    expect(await reviewer.authenticate('nope')).toBeUndefined();
    expect(await reviewer.authorize({ username: 'bob' }, 'get', '/metrics')).toBe(false);
    rest.respond = () => ({ status: { allowed: true, denied: true } });
    expect(await reviewer.authorize({ username: 'bob' }, 'get', '/metrics')).toBe(false);
  });
});
