import { FlowInputSchema, flowView, normaliseFlow } from '../access-flows/flow-definition';
import { parsePolicy } from '../policy/policy-file';

const base = {
  name: 'app-read',
  integrationId: '00000000-0000-4000-8000-0000000000f1',
  requestors: { userIds: ['00000000-0000-4000-8000-0000000000a1'] },
  resources: [{ database: 'app', schema: 'public' }],
  permissions: ['read'],
  approvers: { userIds: ['00000000-0000-4000-8000-0000000000b1'] },
  defaultDuration: '1h',
  maxDuration: '8h',
};

const issues = (input: unknown) => {
  const r = FlowInputSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('the first-login flow fields', () => {
  it('firstLogin with a wait is stored in seconds and shown as written', () => {
    const def = normaliseFlow(
      FlowInputSchema.parse({
        ...base,
        durationStartsAt: 'firstLogin',
        maxWaitForFirstLogin: '30m',
      }),
    );
    expect(def).toMatchObject({
      durationStartsAt: 'firstLogin',
      maxWaitForFirstLoginSeconds: 1800,
    });
    expect(flowView({ ...def, id: 'f', version: 1 })).toMatchObject({
      durationStartsAt: 'firstLogin',
      maxWaitForFirstLogin: '30m',
    });
  });

  it('the default (approval) leaves the definition as before', () => {
    const def = normaliseFlow(FlowInputSchema.parse({ ...base, durationStartsAt: 'approval' }));
    expect('durationStartsAt' in def).toBe(false);
    expect('maxWaitForFirstLoginSeconds' in def).toBe(false);
    expect(flowView({ ...def, id: 'f', version: 1 })).toMatchObject({
      durationStartsAt: 'approval',
      maxWaitForFirstLogin: null,
    });
  });

  it('firstLogin needs its wait, and a wait needs firstLogin: the field is named', () => {
    expect(issues({ ...base, durationStartsAt: 'firstLogin' })).toEqual([
      expect.stringMatching(/^maxWaitForFirstLogin: required with durationStartsAt: firstLogin/),
    ]);
    expect(issues({ ...base, maxWaitForFirstLogin: '30m' })).toEqual([
      expect.stringMatching(
        /^maxWaitForFirstLogin: applies only with durationStartsAt: firstLogin/,
      ),
    ]);
    expect(issues({ ...base, durationStartsAt: 'later' })[0]).toMatch(/^durationStartsAt: /);
  });

  it('a policy file may say it too', () => {
    const { policy } = parsePolicy(`version: 1
flows:
  - name: app-read
    integration: prod
    requestors: { users: [alice@example.com] }
    resources: [{ database: app, schema: public }]
    permissions: [read]
    defaultDuration: 1h
    maxDuration: 8h
    durationStartsAt: firstLogin
    maxWaitForFirstLogin: 30m
`);
    expect(policy.flows[0]).toMatchObject({
      durationStartsAt: 'firstLogin',
      maxWaitForFirstLogin: '30m',
    });
  });
});
