import type { BrokerApi } from './api';
import type { Context } from './context';
import { EXIT } from './exit-codes';
import type { RequestView } from './format';
import { waitForAccess } from './wait';

const ID = '0b6f0a34-5d0e-4b8e-9a53-2a3b1b0c9d11';
const view = (status: string): RequestView =>
  ({ id: ID, status, permission: 'read', resource: 'app.public' }) as unknown as RequestView;

/** A context whose broker answers from scripts: plain GETs and held ones, each recorded. */
function fakeContext(held: Array<{ status: string; header: string | null }>) {
  const calls: string[] = [];
  const api = {
    get: (path: string) => {
      calls.push(`GET ${path}`);
      // The first look, and the flow's approvers (none: the wait says "a decision").
      return Promise.resolve(path.startsWith('/access-flows') ? { flows: [] } : view('PENDING'));
    },
    getHeld: async (path: string) => {
      calls.push(`HELD ${path}`);
      const next = held.length > 1 ? held.shift()! : held[0];
      // A broker holds a call that times out for as long as it was asked to.
      if (next.header === 'timeout')
        await new Promise((r) => setTimeout(r, Number(/timeout=(\d+)ms/.exec(path)![1])));
      return { body: view(next.status), header: next.header };
    },
  } as unknown as BrokerApi;
  const ctx = {
    api,
    json: true,
    interactive: false,
    session: null,
    out: () => undefined,
    err: () => undefined,
    print: () => undefined,
  } as Context;
  return { ctx, calls };
}

describe('waitForAccess', () => {
  it('waits with held calls (waitFor=ACTIVE), not a poll, until ACTIVE', async () => {
    const { ctx, calls } = fakeContext([
      { status: 'GRANTING', header: 'reached' },
      { status: 'ACTIVE', header: 'reached' },
    ]);
    const t0 = Date.now();
    await expect(waitForAccess(ctx, ID, null)).resolves.toMatchObject({ status: 'ACTIVE' });
    const heldCalls = calls.filter((c) => c.startsWith('HELD'));
    expect(heldCalls).toHaveLength(2);
    expect(heldCalls[0]).toMatch(
      new RegExp(`^HELD /access-requests/${ID}\\?waitFor=ACTIVE&timeout=30000ms$`),
    );
    // One plain look at the start; between held calls no pause.
    expect(calls.filter((c) => c === `GET /access-requests/${ID}`)).toHaveLength(1);
    expect(Date.now() - t0).toBeLessThan(900);
  });

  it('asks for no longer than --timeout leaves, and gives up at it (exit 4)', async () => {
    const { ctx, calls } = fakeContext([{ status: 'PENDING', header: 'timeout' }]);
    await expect(waitForAccess(ctx, ID, 1500)).rejects.toMatchObject({ exitCode: EXIT.TIMED_OUT });
    const ms = Number(/timeout=(\d+)ms/.exec(calls.find((c) => c.startsWith('HELD'))!)![1]);
    expect(ms).toBeGreaterThan(1000);
    expect(ms).toBeLessThanOrEqual(1500);
  });

  it('ends refused (exit 3) when the held call answers a denial', async () => {
    const { ctx } = fakeContext([{ status: 'DENIED', header: 'unreachable' }]);
    await expect(waitForAccess(ctx, ID, null)).rejects.toMatchObject({ exitCode: EXIT.REFUSED });
  });

  it('against a broker that does not hold the call (no header), looks again a second later', async () => {
    const { ctx } = fakeContext([
      { status: 'PENDING', header: null },
      { status: 'ACTIVE', header: null },
    ]);
    const t0 = Date.now();
    await waitForAccess(ctx, ID, null);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(Date.now() - t0).toBeLessThan(1900);
  });
});
