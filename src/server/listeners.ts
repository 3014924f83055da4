// Starting and stopping listeners. A listener stops accepting at once when
// asked to close, lets open connections finish for the grace period, then
// closes what is left.
import type { Server as HttpServer } from 'node:http';
import type { Server, Socket } from 'node:net';

export interface Listener {
  readonly protocol: string;
  readonly address: string;
  readonly port: number;
  close(graceMs: number): Promise<void>;
}

export class ListenError extends Error {
  override name = 'ListenError';
}

export function listen(server: Server, protocol: string, bind: string, port: number): Promise<Listener> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  server.on('connection', track);
  server.on('secureConnection', track);
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(new ListenError(`cannot listen on ${bind}:${port} (${protocol}): ${err.code ?? err.message}`));
    };
    server.once('error', onError);
    server.listen({ host: bind, port }, () => {
      server.off('error', onError);
      const address = server.address();
      const actualPort = typeof address === 'object' && address ? address.port : port;
      resolve({
        protocol,
        address: bind,
        port: actualPort,
        close: (graceMs) => new Promise<void>((done) => {
          const http = server as Partial<HttpServer>;
          server.close(() => done());
          http.closeIdleConnections?.();
          const timer = setTimeout(() => {
            http.closeAllConnections?.();
            for (const s of sockets) s.destroy();
          }, graceMs);
          timer.unref();
          server.once('close', () => clearTimeout(timer));
        }),
      });
    });
  });
}
