// Plain JSON REST calls to the apiserver, sent with undici over an ApiConnection (./connection.ts: the common
// credentials read directly, anything else through client-node's KubeConfig).
//
// Why not the generated typed clients: their deserializer turns timestamps into Date objects and drops fields it
// does not know, so objects from a list would differ from the same objects seen on a watch. Every call here sends
// and returns the apiserver's JSON unchanged, and every request is counted in one place (the observer), which is
// how "zero writes when idle" is measured.
import type { KubeConfig } from '@kubernetes/client-node';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { fetch } from 'undici';
import type { ApiRequestObserver, KubeObject } from '../controller/ports.js';
import { kubeConfigConnection, type ApiConnection, type HttpVerb } from './connection.js';
import { apiErrorFromResponse, toApiError } from './errors.js';

export type { HttpVerb } from './connection.js';

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
  private readonly connection: ApiConnection;

  /** A KubeConfig (client-node, loaded by the caller) or a connection from loadConnection. */
  constructor(
    connection: ApiConnection | KubeConfig,
    private readonly observe: ApiRequestObserver = () => {},
  ) {
    this.connection = 'prepare' in connection ? connection : kubeConfigConnection(connection);
  }

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
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(req.query ?? {})) {
      if (value !== undefined) query.set(key, String(value));
    }
    const search = query.size > 0 ? `?${query.toString()}` : '';
    const { url, headers, dispatcher } = await this.connection.prepare(req.method, req.path + search);
    const sent: Record<string, string> = { ...headers, accept: 'application/json' };
    if (req.body !== undefined) sent['content-type'] = req.contentType ?? 'application/json';
    return fetch(url, {
      method: req.method,
      headers: sent,
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
      dispatcher,
      signal: req.signal,
    });
  }
}
