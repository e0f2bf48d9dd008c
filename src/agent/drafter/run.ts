// Starts a drafter: loads the draft model, connects to the verifier and serves the OpenAI-compatible API.
import type { Server } from 'node:http';
import { basename } from 'node:path';
import { closeServer, listen, serverPort } from '../http-util.js';
import { DraftEngine, type DraftOptions } from './draft-engine.js';
import { fixedK, WatchedKFile, type KSource } from './k-source.js';
import { createDrafterMetrics, type DrafterMetrics } from './metrics.js';
import { createDrafterApp } from './openai-server.js';
import { VerifierClient } from './verifier-client.js';

export interface DrafterRunOptions {
  modelPath: string;
  verifierUrl: string;
  threads?: number;
  sequences?: number;
  contextSize?: number;
  maxWaiting?: number;
  /** K when no file is given, and the starting K until the file is read. */
  k?: number;
  kFile?: string;
  kPollMs?: number;
  modelName?: string;
  port?: number;
  host?: string;
  defaultMetrics?: boolean;
  verifyTimeoutMs?: number;
  /** Poll instead of sleeping while a verification answer is due, up to this many ms per request (0 = off). */
  busyPollMs?: number;
  log?: (message: string) => void;
}

export interface RunningDrafter {
  url: string;
  engine: DraftEngine;
  k: KSource;
  metrics: DrafterMetrics;
  server: Server;
  close(): Promise<void>;
}

export async function startDrafter(options: DrafterRunOptions): Promise<RunningDrafter> {
  const draftOptions: DraftOptions = {
    modelPath: options.modelPath,
    threads: options.threads ?? 1,
    sequences: options.sequences ?? 2,
    contextSize: options.contextSize ?? 2048,
    maxWaiting: options.maxWaiting ?? 32,
  };
  const engine = await DraftEngine.load(draftOptions);
  const metrics = createDrafterMetrics(options.defaultMetrics ?? true);
  const initialK = options.k ?? 4;
  let k: KSource = fixedK(initialK);
  if (options.kFile) {
    const watched = new WatchedKFile(options.kFile, initialK, options.kPollMs ?? 1000, options.log, (value) =>
      metrics.k.set(value),
    );
    await watched.reload();
    k = watched;
  }
  metrics.k.set(k.current());
  const verifier = new VerifierClient(options.verifierUrl, {
    timeoutMs: options.verifyTimeoutMs,
    busyPollMs: options.busyPollMs,
    onPolled: (ms) => metrics.busyPollSeconds.inc(ms / 1000),
  });
  engine.onComputing((computing) => verifier.holdPolling(computing));
  const app = createDrafterApp({
    engine,
    verifier,
    k,
    metrics,
    modelName: options.modelName ?? basename(options.modelPath).replace(/\.gguf$/, ''),
  });
  const host = options.host ?? '127.0.0.1';
  const server = await listen(app, options.port ?? 0, host);
  return {
    url: `http://${host}:${serverPort(server)}`,
    engine,
    k,
    metrics,
    server,
    close: async () => {
      k.close();
      await closeServer(server);
      await verifier.close();
      await engine.close();
    },
  };
}
