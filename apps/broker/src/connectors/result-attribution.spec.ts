import { CONTRACT_VERSION, type ConnectorMessage } from '@doorman/contracts';
import { attributionRefusal, messageIntegrationId } from './result-attribution';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const INTEGRATION = '00000000-0000-4000-8000-0000000000f1';

const heartbeat = (connectorId: string): ConnectorMessage => ({
  v: CONTRACT_VERSION,
  kind: 'heartbeat',
  connectorId,
  version: '1.0.0',
  at: '2026-01-01T00:00:00Z',
});

const cleanup = (connectorId: string): ConnectorMessage => ({
  v: CONTRACT_VERSION,
  kind: 'cleanup-user',
  connectorId,
  jobId: 'cleanup-1',
  integrationId: INTEGRATION,
  personId: '00000000-0000-4000-8000-0000000000c1',
  username: 'alice_x',
  generation: 1,
  attempt: 1,
  status: 'applied',
  reassigned: [],
  effects: [],
});

describe('attributionRefusal', () => {
  it("takes a connector's own heartbeat and a result for an integration it serves", () => {
    expect(attributionRefusal(A, heartbeat(A), null)).toBeNull();
    expect(attributionRefusal(A, cleanup(A), A)).toBeNull();
  });

  it('refuses a heartbeat or a result naming another connector than the queue it came on', () => {
    expect(attributionRefusal(A, heartbeat(B), null)).toMatch(/names connector .*b but came from/);
    expect(attributionRefusal(A, cleanup(B), B)).toMatch(/names connector/);
  });

  it("refuses a result for another connector's integration, or for none", () => {
    expect(attributionRefusal(A, cleanup(A), B)).toMatch(/does not serve/);
    expect(attributionRefusal(A, cleanup(A), null)).toMatch(/does not exist/);
  });

  it('knows which messages speak about an integration', () => {
    expect(messageIntegrationId(heartbeat(A))).toBeNull();
    expect(messageIntegrationId(cleanup(A))).toBe(INTEGRATION);
  });

  it("holds a many-target connector's heartbeat and inventory to the integrations it serves", () => {
    const targeted = { ...heartbeat(A), integrationId: INTEGRATION } as ConnectorMessage;
    const inventory: ConnectorMessage = {
      v: CONTRACT_VERSION,
      kind: 'inventory',
      connectorId: A,
      at: '2026-01-01T00:00:00Z',
      roles: [],
      integrationId: INTEGRATION,
    };
    expect(messageIntegrationId(targeted)).toBe(INTEGRATION);
    expect(messageIntegrationId(inventory)).toBe(INTEGRATION);
    expect(attributionRefusal(A, targeted, A)).toBeNull();
    expect(attributionRefusal(A, inventory, B)).toMatch(/does not serve/);
    expect(attributionRefusal(A, targeted, null)).toMatch(/does not exist/);
  });
});
