import { FlowInputSchema } from './flow-definition';

const base = {
  name: 'f',
  integrationId: '7f1c5b3e-8a52-4c2e-9f5e-0b6a7d1e2c3f',
  requestors: { userIds: [], groupIds: [] },
  resources: [{ database: '*', schema: '*' }],
  permissions: ['read', 'write'],
  approvers: { userIds: ['0b1f9a52-3c4d-4e5f-8a6b-7c8d9e0f1a2b'] },
  defaultDuration: '1h',
  maxDuration: '2h',
};

describe('flow input', () => {
  it('offers read and write on everything', () => {
    expect(FlowInputSchema.safeParse(base).success).toBe(true);
  });

  it('refuses admin on everything, naming the field', () => {
    const res = FlowInputSchema.safeParse({ ...base, permissions: ['read', 'admin'] });
    expect(res.success).toBe(false);
    expect(res.error?.issues).toEqual([
      expect.objectContaining({
        path: ['permissions'],
        message: expect.stringContaining('admin is never granted on everything'),
      }),
    ]);
  });

  it('allows admin on a named schema', () => {
    const res = FlowInputSchema.safeParse({
      ...base,
      resources: [{ database: 'app', schema: 'public' }],
      permissions: ['admin'],
    });
    expect(res.success).toBe(true);
  });

  it('takes a Slack channel id only', () => {
    expect(FlowInputSchema.safeParse({ ...base, slackChannel: 'C0123ABCD' }).success).toBe(true);
    expect(FlowInputSchema.safeParse({ ...base, slackChannel: '#approvals' }).success).toBe(false);
  });
});
