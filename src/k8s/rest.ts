// Plain JSON REST calls to the apiserver, authenticated by client-node's KubeConfig (tokens, client certificates,
// exec plugins, in-cluster token files) and sent with undici like client-node's own Watch.
//
// Why not the generated typed clients: their deserializer turns timestamps into Date objects and drops fields it
// does not know, so objects from a list would differ from the same objects seen on a watch. Every call here sends
// and returns the apiserver's JSON unchanged, and every request is counted in one place (the observer), which is
// how "zero writes when idle" is measured.
import { HttpMethod, RequestContext, type KubeConfig } from '@kubernetes/client-node';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { fetch } from 'undici';
import type { ApiRequestObserver, KubeObject } from '../controller/ports.js';
import { apiErrorFromResponse, toApiError } from './errors.js';

export type HttpVerb = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RestRequest {
  method: HttpVerb;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  /** Kubernetes verb for metrics: get, list, watch, create, update, patch, apply, delete. */
  verb: string;
  /** Resource (plural, with /status where relevant) for metrics. */
  resource: string;
  signal?: AbortSignal;
}

export interface WatchEventLine {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject;
}

export interface ListPage<T> {
  items: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

/** What the rest of src/k8s needs from the transport; tests substitute a recording fake. */
export interface RestClient {
  request<T>(req: RestRequest): Promise<T>;
  watch(req: RestRequest, onEvent: (event: WatchEventLine) => void): Promise<void>;
}

export class KubeRest implements RestClient {
  /**
   * The connection pool, made once. client-node builds a new undici Agent on every applySecurityAuthentication
   * when the cluster uses TLS, so taking its dispatcher per request opened a new connection, with a TLS handshake
   * on both sides, for every request (measured on the benchmark fleet: seconds per reconcile on a loaded
   * apiserver). Headers are still applied per request, so rotated tokens are picked up; rotated client
   * certificates need a new KubeRest.
   */
  private dispatcher: ReturnType<RequestContext['getDispatcher']>;

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly observe: ApiRequestObserver = () => {},
  ) {}

  /** Sends one request; resolves to the parsed JSON body, rejects with ApiError. */
  async request<T>(req: RestRequest): Promise<T> {
    let code = 0;
    try {
      const response = await this.send(req);
      code = response.status;
      const text = await response.text();
      if (response.status < 200 || response.status > 299) {
        throw apiErrorFromResponse(response.status, text, `${req.method} ${req.path}: HTTP ${response.status}`);
      }
      return (text.length > 0 ? JSON.parse(text) : {}) as T;
    } catch (err) {
      throw toApiError(err);
    } finally {
      this.observe(req.verb, req.resource, code);
    }
  }

  /**
   * Opens a watch and calls onEvent for each event until the server ends the stream (resolves) or the
   * connection fails or the signal aborts (rejects with ApiError; an abort rejects with reason Timeout).
   */
  async watch(req: RestRequest, onEvent: (event: WatchEventLine) => void): Promise<void> {
    let code = 0;
    try {
      const response = await this.send({ ...req, query: { ...req.query, watch: true } });
      code = response.status;
      if (response.status !== 200 || response.body === null) {
        const text = await response.text();
        throw apiErrorFromResponse(response.status, text, `watch ${req.path}: HTTP ${response.status}`);
      }
      const lines = createInterface({ input: Readable.fromWeb(response.body as never), crlfDelay: Infinity });
      for await (const line of lines) {
        if (line.trim().length === 0) continue;
        onEvent(JSON.parse(line) as WatchEventLine);
      }
    } catch (err) {
      throw toApiError(err);
    } finally {
      this.observe('watch', req.resource, code);
    }
  }

  private async send(req: RestRequest) {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('The kubeconfig has no current cluster');
    const url = new URL(cluster.server.replace(/\/$/, '') + req.path);
    for (const [key, value] of Object.entries(req.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const context = new RequestContext(url.toString(), req.method as HttpMethod);
    await this.kubeConfig.applySecurityAuthentication(context);
    this.dispatcher ??= context.getDispatcher();
    const headers: Record<string, string> = { ...context.getHeaders(), accept: 'application/json' };
    if (req.body !== undefined) headers['content-type'] = req.contentType ?? 'application/json';
    return fetch(url, {
      method: req.method,
      headers,
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
      dispatcher: this.dispatcher,
      signal: req.signal,
    });
  }
}
