import { connect, createServer } from 'node:net';

const handedOut = new Set<number>();

/**
 * A free TCP port on 127.0.0.1, picked by the kernel. Never returns the same port twice in one
 * process, so peers started together cannot be given the same port.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolvePort, reject) => {
      const server = createServer();
      server.unref();
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => {
          if (address && typeof address === 'object') resolvePort(address.port);
          else reject(new Error('the kernel gave no port'));
        });
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolveListening) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolveListening(true);
    });
    socket.once('error', () => {
      resolveListening(false);
    });
  });
}
