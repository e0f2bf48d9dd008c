// Small HTTP helpers shared by the agent servers: listening on a given host/port and closing promptly.
import { createServer, type RequestListener, type Server } from 'node:http';

/** Serves `handler` (an express app or a plain listener). Nagle is off (noDelay): answers go out at once. */
export function listen(handler: RequestListener, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer({ noDelay: true }, handler);
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** Stops accepting and drops open keep-alive connections, so tests and shutdowns do not hang. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export function serverPort(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server is not listening on a TCP port');
  return address.port;
}
