// Starts a verifier: the HTTP server comes up first (so /healthz and /readyz answer while the model loads),
// then the model is loaded and the server turns ready.
import type { Server } from 'node:http';
import { closeServer, listen, serverPort } from '../http-util.js';
import { DEFAULT_VERIFIER_OPTIONS, VerifierEngine, type VerifierOptions } from './engine.js';
import { createVerifierApp, type VerifierApp } from './server.js';

export interface RunningVerifier {
  url: string;
  port: number;
  engine: VerifierEngine;
  app: VerifierApp;
  server: Server;
  /** Stops serving; the model stays loaded unless `unload` is set. */
  close(unload?: boolean): Promise<void>;
}

export async function startVerifier(
  options: Partial<VerifierOptions> & { modelPath: string },
  listenOn: {
    port?: number;
    host?: string;
    defaultMetrics?: boolean;
    engine?: VerifierEngine;
    busyPollMs?: number;
  } = {},
): Promise<RunningVerifier> {
  const host = listenOn.host ?? '127.0.0.1';
  const app = createVerifierApp({ defaultMetrics: listenOn.defaultMetrics, busyPollMs: listenOn.busyPollMs });
  const server = await listen(app.handler, listenOn.port ?? 0, host);
  server.on('upgrade', app.upgrade);
  const engine = listenOn.engine ?? (await VerifierEngine.load({ ...DEFAULT_VERIFIER_OPTIONS, ...options }));
  app.setEngine(engine);
  const port = serverPort(server);
  return {
    url: `http://${host}:${port}`,
    port,
    engine,
    app,
    server,
    close: async (unload = true) => {
      app.closeStreams();
      await closeServer(server);
      if (unload) await engine.close();
    },
  };
}
