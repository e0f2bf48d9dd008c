// The verification stream (an upgraded /v1/verify connection carrying newline-delimited JSON frames): it answers
// exactly what POST /v1/verify answers, matches answers to requests by id with several in flight, ends the
// stream on a malformed frame without harming the verifier, and the drafter's client falls back to POST when a
// verifier refuses the upgrade and reconnects after the verifier comes back.
import { jest } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { VerifierClient, VerifierUnavailableError } from '../../src/agent/drafter/verifier-client.js';
import { closeServer, listen, serverPort } from '../../src/agent/http-util.js';
import { VERIFY_STREAM_PROTOCOL, type VerifyResponse } from '../../src/agent/protocol.js';
import { createVerifierApp } from '../../src/agent/verifier/server.js';
import { startVerifier, type RunningVerifier } from '../../src/agent/verifier/run.js';
import { targetPath } from './support.js';

jest.setTimeout(300_000);

let verifier: RunningVerifier;
beforeAll(async () => {
  verifier = await startVerifier({ modelPath: targetPath(), threads: 1, sequences: 2 }, { defaultMetrics: false });
});
afterAll(async () => verifier?.close());

interface Frame {
  id: number | null;
  status: number;
  body: Partial<VerifyResponse> & { error?: { code: string; message: string } };
}

/** A raw stream: the upgrade handshake by hand, then frames as lines. */
async function rawStream(port: number, protocol = VERIFY_STREAM_PROTOCOL) {
  const socket: Socket = connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(`GET /v1/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: ${protocol}\r\n\r\n`);
  let text = '';
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('data', (chunk: Buffer) => void (text += chunk.toString()));
  const until = async (predicate: () => boolean): Promise<void> => {
    for (let i = 0; i < 3000 && !predicate(); i++) await new Promise((r) => setTimeout(r, 10));
  };
  await until(() => text.includes('\r\n\r\n'));
  const statusLine = text.slice(0, text.indexOf('\r\n'));
  text = text.slice(text.indexOf('\r\n\r\n') + 4);
  const frames = (): Frame[] =>
    text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Frame);
  return {
    statusLine,
    send: (line: string) => socket.write(`${line}\n`),
    frames,
    waitFrames: async (n: number) => {
      await until(() => frames().length >= n);
      return frames();
    },
    closed,
    destroy: () => socket.destroy(),
  };
}

async function post(body: unknown): Promise<{ status: number; body: Frame['body'] }> {
  const res = await fetch(`${verifier.url}/v1/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Frame['body'] };
}

describe('verification stream', () => {
  it('answers what POST answers, with the verifier’s handling time, several requests in flight', async () => {
    const stream = await rawStream(verifier.port);
    try {
      expect(stream.statusLine).toBe('HTTP/1.1 101 Switching Protocols');
      const requests = [
        { sessionId: 'stream-a', context: [1, 300, 301], draft: [302, 303] },
        { sessionId: 'stream-b', context: [1, 310, 311], draft: [] },
        { sessionId: 'stream-c', context: [1, 320], draft: [321, 322, 323] },
        { sessionId: 'stream-d', context: [1], draft: [99_999] },
      ];
      requests.forEach((request, i) => stream.send(JSON.stringify({ id: i + 1, request })));
      const frames = await stream.waitFrames(requests.length);
      const byId = new Map(frames.map((f) => [f.id, f]));
      for (const [i, request] of requests.entries()) {
        const viaPost = await post({ ...request, sessionId: `${request.sessionId}-post` });
        const viaStream = byId.get(i + 1) as Frame;
        expect(viaStream.status).toBe(viaPost.status);
        if (viaPost.status === 200) {
          expect([viaStream.body.accepted, viaStream.body.next, viaStream.body.confirmedLength]).toEqual([
            viaPost.body.accepted,
            viaPost.body.next,
            viaPost.body.confirmedLength,
          ]);
          expect(viaStream.body.timings?.serverMs).toBeGreaterThanOrEqual(viaStream.body.timings?.computeMs ?? 0);
        } else {
          expect(viaStream.body.error?.code).toBe(viaPost.body.error?.code);
        }
      }
      // A delta against the session the stream created.
      const first = byId.get(1) as Frame;
      stream.send(
        JSON.stringify({
          id: 9,
          request: {
            sessionId: 'stream-a',
            delta: { keep: first.body.confirmedLength, append: [first.body.next] },
            draft: [],
          },
        }),
      );
      const delta = (await stream.waitFrames(requests.length + 1)).find((f) => f.id === 9) as Frame;
      expect(delta.status).toBe(200);
      expect(delta.body.confirmedLength).toBe((first.body.confirmedLength as number) + 1);
    } finally {
      stream.destroy();
    }
  });

  it.each([
    ['not JSON', '{"id": 1, "request":'],
    ['no id', JSON.stringify({ request: { sessionId: 's', context: [1], draft: [] } })],
    ['a string id', JSON.stringify({ id: 'x', request: { sessionId: 's', context: [1], draft: [] } })],
  ])('ends the stream on a frame that is %s, answering with id null', async (_name, line) => {
    const stream = await rawStream(verifier.port);
    stream.send(line);
    const [frame] = await stream.waitFrames(1);
    expect(frame).toMatchObject({ id: null, status: 400, body: { error: { code: 'BadRequest' } } });
    await stream.closed;
    expect((await post({ sessionId: 'after-bad-frame', context: [1, 300], draft: [] })).status).toBe(200);
  });

  it('ends the stream on a frame longer than the body limit', async () => {
    const stream = await rawStream(verifier.port);
    stream.send(JSON.stringify({ id: 1, request: { sessionId: 's', context: new Array(600_000).fill(1), draft: [] } }));
    const [frame] = await stream.waitFrames(1);
    expect(frame).toMatchObject({ id: null, status: 400 });
    await stream.closed;
  });

  it('refuses an upgrade to another protocol', async () => {
    const stream = await rawStream(verifier.port, 'websocket');
    expect(stream.statusLine).toBe('HTTP/1.1 400 Bad Request');
    stream.destroy();
  });
});

describe('the drafter’s verifier client', () => {
  it('uses the stream, and POST when a verifier refuses the upgrade', async () => {
    const onStream = new VerifierClient(verifier.url);
    const call = await onStream.verify({ sessionId: 'client-stream', draft: [] }, [1, 300, 301], 0);
    expect(onStream.currentTransport).toBe('stream');
    expect(call.response.timings.serverMs).toBeDefined();
    await onStream.close();

    // A verifier from before the stream: the same handler with no upgrade listener (Node answers the upgrade
    // request as a plain GET, which has no route).
    const old = createVerifierApp({ defaultMetrics: false });
    old.setEngine(verifier.engine);
    const server = await listen(old.handler, 0, '127.0.0.1');
    const client = new VerifierClient(`http://127.0.0.1:${serverPort(server)}`);
    try {
      const fallback = await client.verify({ sessionId: 'client-old', draft: [] }, [1, 300, 301], 0);
      expect(client.currentTransport).toBe('http');
      expect(fallback.response.next).toBe(call.response.next);
    } finally {
      await client.close();
      await closeServer(server);
    }
  });

  it('polls on both sides when asked, with the same answers, and counts the time it polled', async () => {
    const polling = await startVerifier(
      { modelPath: targetPath(), threads: 1, sequences: 1 },
      { defaultMetrics: false, engine: verifier.engine, busyPollMs: 20 },
    );
    const clientSpells: number[] = [];
    const client = new VerifierClient(polling.url, { busyPollMs: 20, onPolled: (ms) => clientSpells.push(ms) });
    const plain = new VerifierClient(verifier.url);
    try {
      const context = [1, 300, 301, 302];
      for (let round = 0; round < 5; round++) {
        const draft = [303 + round, 304 + round];
        const [polled, slept] = await Promise.all([
          client.verify({ sessionId: `poll-${round}`, draft }, context, 0),
          plain.verify({ sessionId: `sleep-${round}`, draft }, context, 0),
        ]);
        expect(polled.response).toMatchObject({
          accepted: slept.response.accepted,
          next: slept.response.next,
          confirmedLength: slept.response.confirmedLength,
        });
      }
      // The client polled while each answer was due; the verifier after each answer, until its window ran out.
      expect(clientSpells).toHaveLength(5);
      await new Promise((r) => setTimeout(r, 50));
      const verifierPolled = (await polling.app.metrics.busyPollSeconds.get()).values[0]?.value ?? 0;
      expect(verifierPolled).toBeGreaterThanOrEqual(0.02);
    } finally {
      await client.close();
      await plain.close();
      await polling.close(false);
    }
  });

  it('fails with VerifierUnavailableError while the verifier is down and reconnects when it is back', async () => {
    const spare = await startVerifier(
      { modelPath: targetPath(), threads: 1, sequences: 1 },
      { defaultMetrics: false, engine: verifier.engine },
    );
    const port = spare.port;
    const client = new VerifierClient(spare.url, { timeoutMs: 5_000 });
    try {
      await client.verify({ sessionId: 'down-1', draft: [] }, [1, 300], 0);
      await spare.close(false);
      await expect(client.verify({ sessionId: 'down-2', draft: [] }, [1, 300], 0)).rejects.toBeInstanceOf(
        VerifierUnavailableError,
      );
      const back = await startVerifier(
        { modelPath: targetPath(), threads: 1, sequences: 1 },
        { defaultMetrics: false, engine: verifier.engine, port },
      );
      try {
        const again = await client.verify({ sessionId: 'down-3', draft: [] }, [1, 300], 0);
        expect(again.response.confirmedLength).toBe(2);
        expect(client.currentTransport).toBe('stream');
      } finally {
        await back.close(false);
      }
    } finally {
      await client.close();
    }
  });
});
