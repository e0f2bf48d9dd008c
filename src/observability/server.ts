// The operator's HTTP endpoints: /metrics (Prometheus text), /healthz (the process answers) and /readyz (every
// readiness check passes, e.g. all informer caches synced). Leadership is not part of readiness: a standby
// replica is ready to take over, and marking it unready would only hide it from the Service.
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { metricsAuthMiddleware, type MetricsAuthOptions } from './metrics-auth.js';

export type HealthCheck = () => boolean;

export interface ProbeServerOptions {
  registry: Registry;
  /** Named readiness checks; /readyz lists the failing ones. */
  readiness: Record<string, HealthCheck>;
  /** Named liveness checks (default: none, the process answering is enough). */
  liveness?: Record<string, HealthCheck>;
  /** Put /metrics behind TokenReview + SubjectAccessReview; the probes stay open for the kubelet. */
  metricsAuth?: MetricsAuthOptions;
  host?: string;
  port: number;
}

export interface ProbeServer {
  readonly port: number;
  close(): Promise<void>;
}

export function createProbeApp(options: Omit<ProbeServerOptions, 'host' | 'port'>): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const guard: express.RequestHandler = options.metricsAuth
    ? metricsAuthMiddleware(options.metricsAuth)
    : (_req, _res, next) => next();
  app.get('/metrics', guard, async (_req, res) => {
    try {
      res.set('Content-Type', options.registry.contentType);
      res.send(await options.registry.metrics());
    } catch (err) {
      res
        .status(500)
        .type('text/plain')
        .send(`Failed to collect metrics: ${(err as Error).message}\n`);
    }
  });
  app.get('/healthz', (_req, res) => respond(res, options.liveness ?? {}));
  app.get('/readyz', (_req, res) => respond(res, options.readiness));
  return app;
}

export async function startProbeServer(options: ProbeServerOptions): Promise<ProbeServer> {
  const app = createProbeApp(options);
  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(options.port, options.host ?? '0.0.0.0', (err?: Error) =>
      err ? reject(err) : resolve(listening),
    );
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function respond(res: express.Response, checks: Record<string, HealthCheck>): void {
  const failing = Object.entries(checks)
    .filter(([, check]) => {
      try {
        return !check();
      } catch {
        return true;
      }
    })
    .map(([name]) => name);
  res.type('text/plain');
  if (failing.length === 0) {
    res.status(200).send('ok\n');
  } else {
    res.status(503).send(failing.map((name) => `[-]${name} failed`).join('\n') + '\n');
  }
}
