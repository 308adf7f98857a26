import { connect } from 'node:net';

/**
 * Asks a PostgreSQL server whether it speaks TLS, the way libpq does for sslmode=prefer:
 * send an SSLRequest and read the one-byte answer ('S' yes, 'N' no). Decided by protocol,
 * not by any error text.
 */
export function serverSupportsTls(host: string, port: number, timeoutMs = 5000): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const done = (err: Error | null, value?: boolean) => {
      socket.destroy();
      if (err) reject(err);
      else resolve(value === true);
    };
    socket.setTimeout(timeoutMs, () =>
      done(Object.assign(new Error('TLS probe timed out'), { code: 'ETIMEDOUT' })),
    );
    socket.once('error', (err) => done(err));
    socket.once('connect', () => {
      const request = Buffer.alloc(8);
      request.writeInt32BE(8, 0);
      request.writeInt32BE(80877103, 4); // SSLRequest code
      socket.write(request);
    });
    socket.once('data', (data) => {
      const answer = String.fromCharCode(data[0]);
      if (answer === 'S' || answer === 'N') done(null, answer === 'S');
      else done(Object.assign(new Error('unexpected answer to SSLRequest'), { code: 'EPROTO' }));
    });
  });
}
