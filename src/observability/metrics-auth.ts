// Authentication and authorization in front of /metrics, as kube-rbac-proxy and controller-runtime's
// `filters.WithAuthenticationAndAuthorization` do it: the caller presents a bearer token; the apiserver says who
// it is (TokenReview) and whether that identity may `get` the non-resource URL /metrics (SubjectAccessReview,
// granted by a ClusterRole rule `nonResourceURLs: [/metrics], verbs: [get]`). No token or an unknown token: 401;
// a known identity without the permission: 403. Answers are cached briefly (by a hash of the token, never the
// token itself) so a scraper every few seconds costs the apiserver two requests per cache period, not per scrape.
// The Kubernetes calls live in src/k8s (KubeAccessReviewer); this file only needs the AccessReviewer port.
import { createHash } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

export interface ReviewedUser {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** What /metrics authentication needs from the cluster; src/k8s implements it with the review APIs. */
export interface AccessReviewer {
  /** The identity behind a bearer token, or undefined when the apiserver does not authenticate it. */
  authenticate(token: string): Promise<ReviewedUser | undefined>;
  /** Whether `user` may perform `verb` on the non-resource URL `path`. */
  authorize(user: ReviewedUser, verb: string, path: string): Promise<boolean>;
}

export interface MetricsAuthOptions {
  reviewer: AccessReviewer;
  /** How long a decision is reused (default 10 s; 0 disables the cache). */
  cacheTtlMs?: number;
  /** Most cached decisions kept (default 1,000); the oldest go first. */
  cacheSize?: number;
  now?: () => number;
  /** Called when a review request itself fails (the caller gets 503 and may retry). */
  onReviewError?(err: unknown): void;
}

type Decision = { status: 200 } | { status: 401 | 403; message: string };

/** Bearer tokens are opaque strings of token68 characters; anything else is not worth a review. */
const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/;
const MAX_TOKEN_LENGTH = 16_384;

export function metricsAuthMiddleware(options: MetricsAuthOptions): RequestHandler {
  const ttl = options.cacheTtlMs ?? 10_000;
  const size = options.cacheSize ?? 1000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { decision: Decision; until: number }>();

  async function decide(token: string, path: string): Promise<Decision> {
    const user = await options.reviewer.authenticate(token);
    if (!user) return { status: 401, message: 'Unauthorized: the bearer token was not accepted\n' };
    const allowed = await options.reviewer.authorize(user, 'get', path);
    if (!allowed) return { status: 403, message: `Forbidden: ${user.username} may not get ${path}\n` };
    return { status: 200 };
  }

  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization ?? '';
    const match = header.length <= MAX_TOKEN_LENGTH + 7 ? BEARER.exec(header) : null;
    if (!match) {
      res
        .set('WWW-Authenticate', 'Bearer')
        .status(401)
        .type('text/plain')
        .send('Unauthorized: a bearer token is required\n');
      return;
    }
    const path = req.path;
    const key = createHash('sha256').update(match[1]!).update('\u0000').update(path).digest('hex');
    const cached = cache.get(key);
    const answer = (decision: Decision) => {
      if (decision.status === 200) return next();
      if (decision.status === 401) res.set('WWW-Authenticate', 'Bearer');
      res.status(decision.status).type('text/plain').send(decision.message);
    };
    if (cached && cached.until > now()) return answer(cached.decision);
    decide(match[1]!, path).then(
      (decision) => {
        if (ttl > 0) {
          cache.delete(key);
          cache.set(key, { decision, until: now() + ttl });
          while (cache.size > size) cache.delete(cache.keys().next().value!);
        }
        answer(decision);
      },
      (err: unknown) => {
        // Not cached: the apiserver being away must not lock a scraper out for a whole period afterwards.
        options.onReviewError?.(err);
        res.status(503).type('text/plain').send('Service Unavailable: could not review the credentials\n');
      },
    );
  };
}
