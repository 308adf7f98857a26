import { coversResource } from './access-flow.policy';
import { flowView, FlowInputSchema, normaliseFlow } from './flow-definition';

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

  describe('existing roles', () => {
    const parse = (over: Record<string, unknown>) =>
      FlowInputSchema.safeParse({ ...base, ...over });
    const normalised = (over: Record<string, unknown>) => {
      const res = parse(over);
      if (!res.success) throw new Error(JSON.stringify(res.error.issues));
      return normaliseFlow(res.data);
    };

    it('takes { role } and stores it as database "*", schema the role, member implied', () => {
      const f = normalised({
        resources: [{ role: 'pg_monitor', ownerIds: [] }],
        permissions: undefined,
      });
      expect(f.resources).toEqual([{ database: '*', schema: 'pg_monitor', ownerIds: [] }]);
      expect(f.permissions).toEqual(['member']);
      const rules = { ...f, id: 'x', version: 1 };
      expect(
        coversResource(rules, {
          integrationId: base.integrationId,
          database: '*',
          schema: 'pg_monitor',
          permission: 'member',
        }),
      ).toBe(true);
      expect(flowView(rules).resources).toEqual([
        { database: '*', schema: 'pg_monitor', ownerIds: [], role: 'pg_monitor' },
      ]);
    });

    it("mixes schemas and roles: permissions are the schemas' levels, member comes with the roles", () => {
      const f = normalised({
        resources: [{ database: 'app', schema: 'sales' }, { role: 'reporting' }],
        permissions: ['read'],
      });
      expect(f.permissions).toEqual(['read', 'member']);
      const rules = { ...f, id: 'x', version: 1 };
      const on = (database: string, schema: string, permission: 'read' | 'member') =>
        coversResource(rules, { integrationId: base.integrationId, database, schema, permission });
      expect(on('*', 'reporting', 'member')).toBe(true);
      expect(on('app', 'sales', 'read')).toBe(true);
      expect(on('*', 'pg_monitor', 'member')).toBe(false);
    });

    it('refuses "*" as a role, schema levels on roles only, member without roles, no level for schemas', () => {
      const message = (over: Record<string, unknown>) =>
        parse(over)
          .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
          .join('; ');
      expect(message({ resources: [{ role: '*' }] })).toContain('must name a role');
      // Refinements run after a field failed: an empty role must be refused, never thrown on.
      expect(() => parse({ resources: [{ role: '' }], permissions: undefined })).not.toThrow();
      expect(parse({ resources: [{ role: '' }], permissions: undefined }).success).toBe(false);
      expect(message({ resources: [{ role: 'pg_monitor' }], permissions: ['read'] })).toContain(
        'offers existing roles only',
      );
      expect(
        message({ resources: [{ database: 'app', schema: 'sales' }], permissions: ['member'] }),
      ).toMatch(/give the levels offered[\s\S]*member applies to existing roles/);
      expect(
        message({ resources: [{ database: 'app', schema: 'sales' }], permissions: undefined }),
      ).toContain("give the levels offered on this flow's schemas");
      expect(parse({ resources: [{ role: 'pg_monitor' }], permissions: ['member'] }).success).toBe(
        true,
      );
    });
  });

  it('refuses durations past the ten-year maximum, where PostgreSQL integers would overflow', () => {
    const parse = (over: Record<string, unknown>) =>
      FlowInputSchema.safeParse({ ...base, ...over });
    for (const over of [
      { maxDuration: '9999999d' },
      { maxDuration: '3651d' },
      { pendingTtl: '24856d' },
      { extensions: { maxCount: 1, maxDuration: '99999h' } },
    ]) {
      const r = parse(over);
      expect(r.success).toBe(false);
      expect(r.error?.issues.map((i) => i.message).join()).toMatch(/at most 3650d/);
    }
    expect(normaliseFlow(parse({ maxDuration: '3650d' }).data!).maxDurationSeconds).toBe(
      315_360_000,
    );
  });
});
