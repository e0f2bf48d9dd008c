// The REST transport against a stub apiserver on 127.0.0.1: real HTTP, real client-node authentication.
import { KubeConfig, type RequestContext } from '@kubernetes/client-node';
import { Agent } from 'undici';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, type KubeObject } from '../../../src/controller/ports.js';
import { ServerSideApplier } from '../../../src/k8s/apply.js';
import { restSource } from '../../../src/k8s/informers.js';
import { Reflector } from '../../../src/k8s/reflector.js';
import { RESOURCES } from '../../../src/k8s/resources.js';
import { KubeRest } from '../../../src/k8s/rest.js';

interface Seen {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
}

type Route = (req: Seen, res: ServerResponse) => void;

describe('KubeRest against a stub apiserver', () => {
  let server: Server;
  let kubeConfig: KubeConfig;
  const seen: Seen[] = [];
  let route: Route = (_req, res) => res.end('{}');

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const entry = { method: req.method!, url: new URL(req.url!, 'http://stub'), headers: req.headers, body };
        seen.push(entry);
        route(entry, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [
        { name: 'stub', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true },
      ],
      users: [{ name: 'u', token: 'sekret-token' }],
      contexts: [{ name: 'ctx', cluster: 'stub', user: 'u' }],
      currentContext: 'ctx',
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => (seen.length = 0));

  it('sends server-side apply with the bearer token, content type and field manager, and counts it', async () => {
    const counted: string[] = [];
    const rest = new KubeRest(kubeConfig, (verb, resource, code) => counted.push(`${verb} ${resource} ${code}`));
    route = (req, res) => res.setHeader('content-type', 'application/json').end(req.body);
    const applied = await new ServerSideApplier(rest).apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'k', namespace: 'ns' },
      data: { k: '4' },
    });
    expect(applied).toMatchObject({ data: { k: '4' } });
    const [req] = seen;
    expect(req?.method).toBe('PATCH');
    expect(req?.url.pathname).toBe('/api/v1/namespaces/ns/configmaps/k');
    expect(req?.url.searchParams.get('fieldManager')).toBe('configspec-operator');
    expect(req?.url.searchParams.get('force')).toBe('true');
    expect(req?.headers['content-type']).toBe('application/apply-patch+yaml');
    expect(req?.headers.authorization).toBe('Bearer sekret-token');
    expect(counted).toEqual(['apply configmaps 200']);
  });

  it('turns an apiserver Status into an ApiError with its reason and message', async () => {
    route = (_req, res) => {
      res.statusCode = 404;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ kind: 'Status', reason: 'NotFound', message: 'configmaps "x" not found', code: 404 }));
    };
    const error = await new KubeRest(kubeConfig)
      .request({ method: 'GET', path: '/api/v1/namespaces/ns/configmaps/x', verb: 'get', resource: 'configmaps' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ reason: 'NotFound', code: 404, message: 'configmaps "x" not found' });
  });

  it('reuses one connection pool across requests, though client-node makes a new agent per call for TLS', async () => {
    const dispatching = new Set<Agent>();
    // What client-node does for a TLS cluster: a fresh undici Agent on every applySecurityAuthentication.
    class TlsLikeConfig extends KubeConfig {
      override async applySecurityAuthentication(context: RequestContext): Promise<void> {
        await super.applySecurityAuthentication(context);
        const agent = new Agent();
        const dispatch = agent.dispatch.bind(agent);
        agent.dispatch = ((...args: Parameters<Agent['dispatch']>) => {
          dispatching.add(agent);
          return dispatch(...args);
        }) as Agent['dispatch'];
        context.setDispatcher(agent as never);
      }
    }
    const config = new TlsLikeConfig();
    config.loadFromString(kubeConfig.exportConfig());
    let connections = 0;
    const count = () => (connections += 1);
    server.on('connection', count);
    route = (_req, res) => res.setHeader('content-type', 'application/json').end('{}');
    const rest = new KubeRest(config);
    for (let i = 0; i < 5; i++) {
      await rest.request({ method: 'GET', path: '/api/v1/namespaces/ns/configmaps/k', verb: 'get', resource: 'x' });
    }
    server.off('connection', count);
    expect(seen).toHaveLength(5);
    expect(seen.every((req) => req.headers.authorization === 'Bearer sekret-token')).toBe(true);
    expect(dispatching.size).toBe(1);
    expect(connections).toBeLessThanOrEqual(2);
  });

  it('maps a refused connection to Unavailable', async () => {
    // A port that was just free: nothing listens there.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const dead = new KubeConfig();
    dead.loadFromOptions({
      clusters: [{ name: 'dead', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'ctx', cluster: 'dead', user: 'u' }],
      currentContext: 'ctx',
    });
    await expect(
      new KubeRest(dead).request({ method: 'GET', path: '/api', verb: 'get', resource: 'api' }),
    ).rejects.toMatchObject({ reason: 'Unavailable' });
  });

  it('lists in pages, watches with bookmarks and relists after 410 Gone in the stream', async () => {
    const pod = (name: string, rv: string) => ({ metadata: { name, namespace: 'ns', resourceVersion: rv } });
    let watches = 0;
    route = (req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url.searchParams.get('watch') !== 'true') {
        const page = req.url.searchParams.get('continue');
        if (!page)
          return res.end(
            JSON.stringify({ items: [pod('a', '1')], metadata: { resourceVersion: '5', continue: 'p2' } }),
          );
        return res.end(JSON.stringify({ items: [pod('b', '2')], metadata: { resourceVersion: '5' } }));
      }
      watches += 1;
      if (watches === 1) {
        res.write(
          JSON.stringify({ type: 'ADDED', object: { ...pod('c', '6'), kind: 'Pod', apiVersion: 'v1' } }) + '\n',
        );
        res.write(
          JSON.stringify({
            type: 'ERROR',
            object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old' },
          }) + '\n',
        );
        return res.end();
      }
      // Later watches stay open until the client goes away.
      res.write(
        JSON.stringify({
          type: 'BOOKMARK',
          object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: '9' } },
        }) + '\n',
      );
    };
    const reflector = new Reflector<KubeObject>(
      restSource(new KubeRest(kubeConfig), RESOURCES.pod, { namespace: 'ns' }),
      {
        name: 'pods',
      },
    );
    reflector.start();
    for (let i = 0; i < 100 && watches < 2; i += 1) await new Promise((r) => setTimeout(r, 20));
    await reflector.stop();
    const lists = seen.filter((s) => s.url.searchParams.get('watch') !== 'true');
    const watchRequests = seen.filter((s) => s.url.searchParams.get('watch') === 'true');
    expect(lists.map((s) => s.url.searchParams.get('continue'))).toEqual([null, 'p2', null, 'p2']);
    expect(lists[0]?.url.searchParams.get('limit')).toBe('500');
    expect(watchRequests[0]?.url.searchParams.get('resourceVersion')).toBe('5');
    expect(watchRequests[0]?.url.searchParams.get('allowWatchBookmarks')).toBe('true');
    expect(Number(watchRequests[0]?.url.searchParams.get('timeoutSeconds'))).toBeGreaterThanOrEqual(300);
    expect(reflector.hasSynced()).toBe(true);
    // After the relist, c (seen only on the expired watch) is gone again; a and b carry kind and apiVersion.
    expect(
      reflector
        .list()
        .map((o) => `${o.kind}/${o.metadata.name}`)
        .sort(),
    ).toEqual(['Pod/a', 'Pod/b']);
  });
});
