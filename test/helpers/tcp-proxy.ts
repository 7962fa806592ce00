/**
 * A TCP proxy in front of a server, for fault tests: `pass` forwards; `hang` accepts connections and
 * never answers (a paused process, a network partition: nothing is refused, nothing comes back);
 * `down` refuses connections (the port closed, as when the server's process has exited). Switching
 * modes cuts the connections that are open, as a crash or a partition would.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export type ProxyMode = 'pass' | 'hang' | 'down';

export interface TcpProxy {
  url: string;
  /** Resolves once the mode holds: for `down`, the port refuses; from `down`, it listens again. */
  setMode(mode: ProxyMode): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: ProxyMode = 'pass';
  const open = new Set<Socket>();
  const track = (socket: Socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server: Server = createServer((client) => {
    track(client);
    if (mode === 'hang') return;
    const upstream = connect(target.port, target.host);
    track(upstream);
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stopListening = () => new Promise<void>((resolve) => server.close(() => resolve()));
  await listen(0);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const cut = () => {
    for (const socket of open) socket.destroy();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    setMode: async (next) => {
      const was = mode;
      mode = next;
      if (next === 'down' && was !== 'down') {
        const closed = stopListening();
        cut();
        await closed;
      } else {
        cut();
        if (was === 'down' && next !== 'down') await listen(port);
      }
    },
    close: async () => {
      cut();
      if (mode !== 'down') await stopListening();
    },
  };
}
