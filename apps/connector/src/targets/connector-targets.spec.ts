import { ConnectorTargets, integrationHint } from './connector-targets';
import type { Target } from './target';

const A = '0b7c2a4e-1f0d-4c1e-9a57-0f4a3b2c1d01';
const B = '0b7c2a4e-1f0d-4c1e-9a57-0f4a3b2c1d02';
const OTHER = '0b7c2a4e-1f0d-4c1e-9a57-0f4a3b2c1d03';

/** Routing reads only which integration a target is. */
const target = (integrationId: string | undefined) =>
  ({ integrationId, label: integrationId ?? 'default' }) as Target;

describe('ConnectorTargets', () => {
  it('a targets file serves only the integrations it names', () => {
    const [a, b] = [target(A), target(B)];
    const targets = new ConnectorTargets([a, b]);
    expect(targets.forIntegration(A)).toBe(a);
    expect(targets.forIntegration(B)).toBe(b);
    expect(targets.forIntegration(OTHER)).toBeUndefined();
    expect(targets.forIntegration(undefined)).toBeUndefined();
    expect(targets.describe()).toBe(`${A}, ${B}`);
  });

  it('a file with one target still serves only that one', () => {
    expect(new ConnectorTargets([target(A)]).forIntegration(OTHER)).toBeUndefined();
  });

  it('the env-configured target serves every integration routed to the connector', () => {
    const only = target(undefined);
    const targets = new ConnectorTargets([only]);
    expect(targets.forIntegration(A)).toBe(only);
    expect(targets.forIntegration(undefined)).toBe(only);
  });

  it("reads a job's integration without trusting the payload", () => {
    expect(integrationHint({ integrationId: A })).toBe(A);
    expect(integrationHint({ integrationId: 7 })).toBeUndefined();
    expect(integrationHint(null)).toBeUndefined();
    expect(integrationHint('sync')).toBeUndefined();
  });
});
