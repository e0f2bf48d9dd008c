// How requests reach the apiserver: its URL, the authentication headers and the connection pool.
//
// The common kubeconfigs — in-cluster service-account credentials, or a kubeconfig file whose user has a token,
// a token file, a client certificate or a user name and password — are read here directly. Everything else
// (exec and auth-provider plugins, impersonation, proxies, a KUBECONFIG list to merge) goes to client-node's
// KubeConfig, loaded on the first request. Why: importing client-node costs about 75 MiB of RSS for generated API
// code the operator never runs (measured: 138 MiB RSS after importing the operator, 58 MiB without client-node),
// and the operator's whole budget at fleet scale is 200 MiB.
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isIPv6 } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { Agent, type Dispatcher } from 'undici';
import { parse } from 'yaml';
import type { ConnectionOptions } from './client.js';

export type HttpVerb = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Where and how one request goes. */
export interface PreparedRequest {
  url: string;
  headers: Record<string, string>;
  dispatcher?: Dispatcher;
}

export interface ApiConnection {
  /** pathAndQuery starts with `/` (e.g. `/api/v1/nodes?watch=true`). */
  prepare(method: HttpVerb, pathAndQuery: string): Promise<PreparedRequest>;
}

export const NO_CLUSTER_MESSAGE =
  'No Kubernetes cluster configured: set KUBECONFIG, pass --kubeconfig, or run in a pod';
const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Projected service-account tokens rotate; client-go re-reads the file about this often. */
const TOKEN_FILE_REFRESH_MS = 60_000;

/** TLS material and credentials of a kubeconfig that needs no plugin. */
export interface StaticCredentials {
  server: string;
  ca?: string;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
  cert?: string;
  key?: string;
  token?: string;
  tokenFile?: string;
  username?: string;
  password?: string;
}

/**
 * The connection for these options, as client-node's KubeConfig would choose it: --kubeconfig, else in-cluster
 * credentials when in a pod and KUBECONFIG is unset, else $KUBECONFIG, else ~/.kube/config. Throws when no cluster
 * is configured.
 */
export function loadConnection(
  options: ConnectionOptions = {},
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): ApiConnection {
  const credentials = readStaticCredentials(options, env, home);
  return credentials ? staticConnection(credentials) : deferredKubeConfigConnection(options, env);
}

/** The credentials, or undefined when the configuration needs client-node (see the file comment). */
export function readStaticCredentials(
  options: ConnectionOptions,
  env: NodeJS.ProcessEnv,
  home: string,
): StaticCredentials | undefined {
  let file = options.kubeconfig;
  if (!file) {
    if (env.KUBERNETES_SERVICE_HOST && !env.KUBECONFIG) return options.context ? undefined : inCluster(env);
    const listed = (env.KUBECONFIG ?? '').split(delimiter).filter((f) => f.length > 0);
    if (listed.length > 1) return undefined;
    if (listed.length === 1) {
      file = listed[0]!;
    } else {
      file = join(home, '.kube', 'config');
      // No file: client-node falls back to in-cluster credentials or localhost:8080; leave that to it.
      if (!existsSync(file)) return undefined;
    }
  }
  const path = resolve(file);
  return fromKubeconfig(parse(readFileSync(path, 'utf8')) as Kubeconfig | null, dirname(path), options.context);
}

interface Named<T> {
  name?: string;
  [key: string]: unknown;
  value?: T;
}
interface Kubeconfig {
  'current-context'?: string;
  contexts?: (Named<never> & { context?: { cluster?: string; user?: string } })[];
  clusters?: (Named<never> & { cluster?: Record<string, unknown> })[];
  users?: (Named<never> & { user?: Record<string, unknown> })[];
}

/** User and cluster fields that only client-node understands. */
const NEEDS_CLIENT_NODE = {
  user: ['exec', 'auth-provider', 'as', 'as-uid', 'as-groups', 'as-user-extra'],
  cluster: ['proxy-url'],
};

function fromKubeconfig(
  config: Kubeconfig | null,
  directory: string,
  contextName: string | undefined,
): StaticCredentials | undefined {
  const name = contextName ?? config?.['current-context'];
  const context = config?.contexts?.find((c) => c.name === name)?.context;
  const cluster = config?.clusters?.find((c) => c.name === context?.cluster)?.cluster;
  if (!cluster || typeof cluster.server !== 'string') throw new Error(NO_CLUSTER_MESSAGE);
  const user = config?.users?.find((u) => u.name === context?.user)?.user ?? {};
  if (NEEDS_CLIENT_NODE.user.some((k) => user[k] !== undefined)) return undefined;
  if (NEEDS_CLIENT_NODE.cluster.some((k) => cluster[k] !== undefined)) return undefined;
  const text = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);
  // A file path is relative to the kubeconfig's directory; *-data is base64 of the file's content.
  const material = (fileKey: string, dataKey: string, holder: Record<string, unknown>) => {
    const data = text(holder[dataKey]);
    if (data) return Buffer.from(data, 'base64').toString('utf8');
    const file = text(holder[fileKey]);
    return file ? readFileSync(resolve(directory, file), 'utf8') : undefined;
  };
  const tokenFile = text(user.tokenFile);
  return {
    server: cluster.server,
    ca: material('certificate-authority', 'certificate-authority-data', cluster),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    tlsServerName: text(cluster['tls-server-name']),
    cert: material('client-certificate', 'client-certificate-data', user),
    key: material('client-key', 'client-key-data', user),
    token: text(user.token),
    tokenFile: tokenFile ? resolve(directory, tokenFile) : undefined,
    username: text(user.username),
    password: text(user.password),
  };
}

function inCluster(env: NodeJS.ProcessEnv): StaticCredentials {
  const host = env.KUBERNETES_SERVICE_HOST!;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  const scheme = ['80', '8080', '8001'].includes(port) ? 'http' : 'https';
  return {
    server: `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    ca: existsSync(`${SERVICE_ACCOUNT}/ca.crt`) ? readFileSync(`${SERVICE_ACCOUNT}/ca.crt`, 'utf8') : undefined,
    tokenFile: `${SERVICE_ACCOUNT}/token`,
  };
}

/** Requests with fixed TLS material; a token file is re-read once a minute. */
export function staticConnection(credentials: StaticCredentials, now: () => number = Date.now): ApiConnection {
  const server = credentials.server.replace(/\/$/, '');
  const dispatcher = new Agent({
    connect: {
      ...(credentials.ca ? { ca: credentials.ca } : {}),
      ...(credentials.cert ? { cert: credentials.cert } : {}),
      ...(credentials.key ? { key: credentials.key } : {}),
      ...(credentials.tlsServerName ? { servername: credentials.tlsServerName } : {}),
      rejectUnauthorized: !credentials.insecureSkipTlsVerify,
    },
  });
  let fileToken: { value: string; readAt: number } | undefined;
  const token = async () => {
    if (credentials.token || !credentials.tokenFile) return credentials.token;
    if (!fileToken || now() - fileToken.readAt >= TOKEN_FILE_REFRESH_MS) {
      fileToken = { value: (await readFile(credentials.tokenFile, 'utf8')).trim(), readAt: now() };
    }
    return fileToken.value;
  };
  return {
    async prepare(_method, pathAndQuery) {
      const headers: Record<string, string> = {};
      const bearer = await token();
      if (bearer) {
        headers.authorization = `Bearer ${bearer}`;
      } else if (credentials.username && credentials.password) {
        const basic = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
        headers.authorization = `Basic ${basic}`;
      }
      return { url: server + pathAndQuery, headers, dispatcher };
    },
  };
}

/** client-node's authentication for every request, on a KubeConfig already loaded. */
export function kubeConfigConnection(kubeConfig: KubeConfig): ApiConnection {
  /**
   * The connection pool, made once. client-node builds a new undici Agent on every applySecurityAuthentication
   * when the cluster uses TLS, so taking its dispatcher per request opened a new connection, with a TLS handshake
   * on both sides, for every request (measured on the benchmark fleet: seconds per reconcile on a loaded
   * apiserver). Headers are still applied per request, so rotated tokens are picked up; rotated client
   * certificates need a new connection.
   */
  let dispatcher: Dispatcher | undefined;
  return {
    async prepare(method, pathAndQuery) {
      const cluster = kubeConfig.getCurrentCluster();
      if (!cluster) throw new Error('The kubeconfig has no current cluster');
      const url = cluster.server.replace(/\/$/, '') + pathAndQuery;
      // client-node is loaded already (the caller holds a KubeConfig): this import costs nothing more.
      const { RequestContext, HttpMethod } = await import('@kubernetes/client-node');
      const context = new RequestContext(url, HttpMethod[method]);
      await kubeConfig.applySecurityAuthentication(context);
      dispatcher ??= context.getDispatcher() as Dispatcher | undefined;
      return { url, headers: { ...context.getHeaders() }, dispatcher };
    },
  };
}

/** client-node's KubeConfig, loaded on the first request (for the configurations readStaticCredentials declines). */
function deferredKubeConfigConnection(options: ConnectionOptions, env: NodeJS.ProcessEnv): ApiConnection {
  let loaded: Promise<ApiConnection> | undefined;
  return {
    async prepare(method, pathAndQuery) {
      loaded ??= import('./kubeconfig.js').then(({ loadKubeConfig }) =>
        kubeConfigConnection(loadKubeConfig(options, env)),
      );
      return (await loaded).prepare(method, pathAndQuery);
    },
  };
}
