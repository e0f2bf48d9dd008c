// TokenReview and SubjectAccessReview against the apiserver, behind /metrics authentication
// (src/observability/metrics-auth.ts). The operator's ServiceAccount needs `create` on
// authentication.k8s.io/tokenreviews and authorization.k8s.io/subjectaccessreviews (the chart grants both when
// metrics.auth is on), nothing more.
import type { AccessReviewer, ReviewedUser } from '../observability/metrics-auth.js';
import type { RestClient } from './rest.js';

interface TokenReviewJson {
  status?: { authenticated?: boolean; user?: ReviewedUser; error?: string };
}

interface SubjectAccessReviewJson {
  status?: { allowed?: boolean; denied?: boolean; reason?: string };
}

export class KubeAccessReviewer implements AccessReviewer {
  constructor(
    private readonly rest: RestClient,
    /** Audiences the token must be meant for; empty means the apiserver's own. */
    private readonly audiences: readonly string[] = [],
  ) {}

  async authenticate(token: string): Promise<ReviewedUser | undefined> {
    const review = await this.rest.request<TokenReviewJson>({
      method: 'POST',
      path: '/apis/authentication.k8s.io/v1/tokenreviews',
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token, ...(this.audiences.length > 0 ? { audiences: [...this.audiences] } : {}) },
      },
      verb: 'create',
      resource: 'tokenreviews',
    });
    const user = review.status?.user;
    if (review.status?.authenticated !== true || !user?.username) return undefined;
    return user;
  }

  async authorize(user: ReviewedUser, verb: string, path: string): Promise<boolean> {
    const review = await this.rest.request<SubjectAccessReviewJson>({
      method: 'POST',
      path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: user.username,
          ...(user.uid ? { uid: user.uid } : {}),
          ...(user.groups ? { groups: user.groups } : {}),
          ...(user.extra ? { extra: user.extra } : {}),
          nonResourceAttributes: { path, verb },
        },
      },
      verb: 'create',
      resource: 'subjectaccessreviews',
    });
    return review.status?.allowed === true && review.status.denied !== true;
  }
}
