// The machine's own floor under the data plane's protocol overhead: a bare TCP echo between the same two cores,
// with each side busy and idle in the same pattern as a speculative round (the drafter computes, sends and
// waits; the verifier wakes, computes, answers). What the round's "outside compute" spends above this floor is
// the protocol's own cost; the floor is the kernel's loopback and the cost of waking an idle core, which on a
// virtual machine is an exit to the hypervisor. Run as a script it is the echo side.
import { spawn } from 'node:child_process';
import { createConnection, createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { BusyPoller } from '../src/agent/busy-poll.js';

const spin = (ms: number): void => {
  for (const end = performance.now() + ms; performance.now() < end;);
};

function lines(socket: Socket, onLine: (line: string) => void): void {
  let pending = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    pending += chunk;
    for (let at = pending.indexOf('\n'); at >= 0; at = pending.indexOf('\n')) {
      onLine(pending.slice(0, at));
      pending = pending.slice(at + 1);
    }
  });
}

/**
 * The echo side: answers each `{"spinMs": x}` line after computing for x ms, with the time it computed; then
 * polls for the next line for `busyPollMs` as the verifier does.
 */
function serveEcho(busyPollMs: number): void {
  const poller = new BusyPoller(busyPollMs);
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    lines(socket, (line) => {
      poller.stop();
      const started = performance.now();
      spin((JSON.parse(line) as { spinMs: number }).spinMs);
      socket.write(`${JSON.stringify({ computedMs: performance.now() - started })}\n`);
      poller.start();
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
  });
}

export interface FloorPattern {
  /** The drafter side computes this long before each send. */
  draftMs: number;
  /** The verifier side computes this long before each answer. */
  verifyMs: number;
}

/**
 * Median round trip minus the echo side's compute, ms, per pattern; the echo side pinned to `core` if given;
 * both sides poll while the other's message is due for up to `busyPollMs` (0 = they sleep).
 */
export async function socketFloorMs(
  patterns: FloorPattern[],
  samples: number,
  core?: number,
  busyPollMs = 0,
): Promise<number[]> {
  const script = fileURLToPath(import.meta.url);
  const serve = [process.execPath, script, 'serve', String(busyPollMs)];
  const child =
    core === undefined
      ? spawn(serve[0] as string, serve.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] })
      : spawn('taskset', ['--cpu-list', String(core), ...serve], { stdio: ['ignore', 'pipe', 'inherit'] });
  const poller = new BusyPoller(busyPollMs);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
      child.once('exit', () => reject(new Error('the echo process exited')));
    });
    const socket = createConnection(port, '127.0.0.1');
    socket.setNoDelay(true);
    await new Promise((resolve) => socket.once('connect', resolve));
    const answers: Array<(computedMs: number) => void> = [];
    lines(socket, (line) => {
      poller.stop();
      answers.shift()?.((JSON.parse(line) as { computedMs: number }).computedMs);
    });
    const floors: number[] = [];
    for (const pattern of patterns) {
      const overheads: number[] = [];
      for (let i = 0; i < samples; i++) {
        spin(pattern.draftMs);
        const sent = performance.now();
        const computedMs = await new Promise<number>((resolve) => {
          answers.push(resolve);
          socket.write(`${JSON.stringify({ spinMs: pattern.verifyMs })}\n`);
          poller.start();
        });
        overheads.push(performance.now() - sent - computedMs);
      }
      overheads.sort((a, b) => a - b);
      floors.push(overheads[Math.floor(overheads.length / 2)] as number);
    }
    socket.destroy();
    return floors;
  } finally {
    child.kill();
  }
}

if (process.argv[2] === 'serve') serveEcho(Number(process.argv[3] ?? 0));
