import { createServer, type Server } from 'node:net';
import { serverSupportsTls } from './tls-probe';

/** A loopback server that answers the SSLRequest with a fixed byte. */
async function fakeServer(
  answer: string,
): Promise<{ server: Server; port: number; requests: Buffer[] }> {
  const requests: Buffer[] = [];
  const server = createServer((socket) => {
    socket.once('data', (d) => {
      requests.push(d);
      socket.write(answer);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0, requests };
}

describe('serverSupportsTls', () => {
  it.each([
    ['S', true],
    ['N', false],
  ])('reads %s as %s and sends a proper SSLRequest', async (answer, expected) => {
    const { server, port, requests } = await fakeServer(answer);
    try {
      await expect(serverSupportsTls('127.0.0.1', port)).resolves.toBe(expected);
      expect(requests[0].toString('hex')).toBe('0000000804d2162f');
    } finally {
      server.close();
    }
  });

  it('rejects anything else', async () => {
    const { server, port } = await fakeServer('E');
    try {
      await expect(serverSupportsTls('127.0.0.1', port)).rejects.toMatchObject({ code: 'EPROTO' });
    } finally {
      server.close();
    }
  });
});
