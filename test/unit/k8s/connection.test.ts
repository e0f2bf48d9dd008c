// The connection's own kubeconfig reading (no client-node) and its hand-off to client-node for plugins.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { stringify } from 'yaml';
import {
  loadConnection,
  NO_CLUSTER_MESSAGE,
  readStaticCredentials,
  staticConnection,
} from '../../../src/k8s/connection.js';
import { KubeRest } from '../../../src/k8s/rest.js';

const directory = mkdtempSync(join(tmpdir(), 'configspec-connection-'));
let files = 0;
function kubeconfig(cluster: Record<string, unknown>, user: Record<string, unknown>, extra: object = {}): string {
  const file = join(directory, `config-${files++}`);
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster }],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'ctx',
      ...extra,
    }),
  );
  return file;
}
const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('readStaticCredentials', () => {
  it('reads server, a CA file relative to the kubeconfig and a token', () => {
    mkdirSync(join(directory, 'certs'), { recursive: true });
    writeFileSync(join(directory, 'certs', 'ca.crt'), 'CA PEM');
    const file = kubeconfig(
      { server: 'https://127.0.0.1:6443/', 'certificate-authority': 'certs/ca.crt' },
      { token: 't' },
    );
    expect(readStaticCredentials({ kubeconfig: file }, {}, directory)).toMatchObject({
      server: 'https://127.0.0.1:6443/',
      ca: 'CA PEM',
      token: 't',
      insecureSkipTlsVerify: false,
    });
  });

  it('decodes *-data client certificates and keeps a token file by absolute path', () => {
    const file = kubeconfig(
      { server: 'https://k', 'certificate-authority-data': b64('CA'), 'tls-server-name': 'kubernetes' },
      { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY'), tokenFile: 'token' },
    );
    expect(readStaticCredentials({ kubeconfig: file }, {}, directory)).toMatchObject({
      ca: 'CA',
      cert: 'CERT',
      key: 'KEY',
      tlsServerName: 'kubernetes',
      tokenFile: join(directory, 'token'),
    });
  });

  it('leaves plugins, impersonation, proxies and KUBECONFIG lists to client-node', () => {
    for (const user of [{ exec: { command: 'x' } }, { 'auth-provider': { name: 'oidc' } }, { as: 'someone' }]) {
      expect(readStaticCredentials({ kubeconfig: kubeconfig({ server: 'https://k' }, user) }, {}, directory)).toBe(
        undefined,
      );
    }
    const proxied = kubeconfig({ server: 'https://k', 'proxy-url': 'http://proxy' }, {});
    expect(readStaticCredentials({ kubeconfig: proxied }, {}, directory)).toBeUndefined();
    const two = [kubeconfig({ server: 'https://a' }, {}), kubeconfig({ server: 'https://b' }, {})].join(delimiter);
    expect(readStaticCredentials({}, { KUBECONFIG: two }, directory)).toBeUndefined();
  });

  it('follows KUBECONFIG, else ~/.kube/config, and an explicit context', () => {
    const file = kubeconfig(
      { server: 'https://current' },
      {},
      {
        clusters: [
          { name: 'c', cluster: { server: 'https://current' } },
          { name: 'other', cluster: { server: 'https://other' } },
        ],
        contexts: [
          { name: 'ctx', context: { cluster: 'c', user: 'u' } },
          { name: 'second', context: { cluster: 'other', user: 'u' } },
        ],
      },
    );
    expect(readStaticCredentials({}, { KUBECONFIG: file }, directory)?.server).toBe('https://current');
    expect(readStaticCredentials({ kubeconfig: file, context: 'second' }, {}, directory)?.server).toBe('https://other');
    expect(() => readStaticCredentials({ kubeconfig: file, context: 'missing' }, {}, directory)).toThrow(
      NO_CLUSTER_MESSAGE,
    );
    const home = mkdtempSync(join(tmpdir(), 'configspec-home-'));
    expect(readStaticCredentials({}, {}, home)).toBeUndefined();
    mkdirSync(join(home, '.kube'));
    writeFileSync(join(home, '.kube', 'config'), readFileText(file));
    expect(readStaticCredentials({}, {}, home)?.server).toBe('https://current');
  });

  it('uses the pod service account in a pod when KUBECONFIG is unset', () => {
    expect(
      readStaticCredentials({}, { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }, '/'),
    ).toMatchObject({
      server: 'https://10.0.0.1:443',
      tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
    });
    expect(
      readStaticCredentials({}, { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' }, '/')?.server,
    ).toBe('https://[fd00::1]:6443');
  });
});

describe('staticConnection', () => {
  it('re-reads a token file once a minute, and sends basic credentials when there is no token', async () => {
    const tokenFile = join(directory, 'rotating-token');
    writeFileSync(tokenFile, 'first\n');
    let now = 0;
    const connection = staticConnection({ server: 'https://k/', tokenFile }, () => now);
    expect(await connection.prepare('GET', '/api?x=1')).toMatchObject({
      url: 'https://k/api?x=1',
      headers: { authorization: 'Bearer first' },
    });
    writeFileSync(tokenFile, 'second\n');
    now = 30_000;
    expect((await connection.prepare('GET', '/api')).headers.authorization).toBe('Bearer first');
    now = 61_000;
    expect((await connection.prepare('GET', '/api')).headers.authorization).toBe('Bearer second');
    const basic = staticConnection({ server: 'https://k', username: 'a', password: 'b' });
    expect((await basic.prepare('GET', '/api')).headers.authorization).toBe(`Basic ${b64('a:b')}`);
  });
});

describe('KubeRest over loadConnection against a stub apiserver', () => {
  let server: Server;
  let url: string;
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url!, headers: req.headers });
      res.setHeader('content-type', 'application/json').end('{"kind":"Status"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => (seen.length = 0));

  it('sends the token and the query from a kubeconfig read without client-node', async () => {
    const rest = new KubeRest(loadConnection({ kubeconfig: kubeconfig({ server: url }, { token: 'direct' }) }));
    await rest.request({
      method: 'GET',
      path: '/api/v1/nodes',
      query: { limit: 5, continue: undefined },
      verb: 'list',
      resource: 'nodes',
    });
    expect(seen).toEqual([expect.objectContaining({ url: '/api/v1/nodes?limit=5' })]);
    expect(seen[0]!.headers.authorization).toBe('Bearer direct');
  });

  it('authenticates through client-node when the user is an exec plugin', async () => {
    const credential = JSON.stringify({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token: 'from-exec' },
    });
    const file = kubeconfig(
      // client-node refuses plain HTTP unless told to skip TLS verification.
      { server: url, 'insecure-skip-tls-verify': true },
      {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: process.execPath,
          args: ['-e', `process.stdout.write(${JSON.stringify(credential)})`],
          interactiveMode: 'Never',
        },
      },
    );
    await new KubeRest(loadConnection({ kubeconfig: file })).request({
      method: 'GET',
      path: '/api',
      verb: 'get',
      resource: 'api',
    });
    expect(seen[0]!.headers.authorization).toBe('Bearer from-exec');
  }, 60_000);
});

function readFileText(file: string): string {
  return readFileSync(file, 'utf8');
}
