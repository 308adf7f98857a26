import { listMessage, listText, parseAccessCommand } from './access-command';
import type { RequestView } from './views/format';

describe('parseAccessCommand', () => {
  it('opens the form without arguments, lists with "list", helps with "help"', () => {
    expect(parseAccessCommand('')).toEqual({ kind: 'modal' });
    expect(parseAccessCommand('   ')).toEqual({ kind: 'modal' });
    expect(parseAccessCommand('LIST')).toEqual({ kind: 'list' });
    expect(parseAccessCommand('help')).toEqual({ kind: 'help' });
  });

  it('cancels by id, or by the first characters /access list shows', () => {
    expect(parseAccessCommand('cancel 1A2B3C4D')).toEqual({ kind: 'cancel', id: '1a2b3c4d' });
    expect(parseAccessCommand('cancel 0b5f3c1e-8a7d-4e1f-9c2b-3d4e5f6a7b8c')).toEqual({
      kind: 'cancel',
      id: '0b5f3c1e-8a7d-4e1f-9c2b-3d4e5f6a7b8c',
    });
    for (const bad of ['cancel', 'cancel abc', 'cancel zzzzzzzz', 'cancel 1a2b3c4d extra'])
      expect(parseAccessCommand(bad).kind).toBe('malformed');
  });

  it('reads the one-line form, the reason being the rest of the line', () => {
    expect(parseAccessCommand('prod-pg app.public READ 2h  investigating  INC-42')).toEqual({
      kind: 'request',
      integration: 'prod-pg',
      database: 'app',
      schema: 'public',
      permission: 'read',
      duration: '2h',
      reason: 'investigating INC-42',
      breakGlass: false,
    });
    expect(parseAccessCommand('prod-pg app.public read 2h')).toMatchObject({ reason: '' });
  });

  it('reads an existing role as role:<name>', () => {
    expect(parseAccessCommand('prod-pg role:pg_monitor member 1h INC-42')).toEqual({
      kind: 'request',
      integration: 'prod-pg',
      database: '*',
      schema: 'pg_monitor',
      permission: 'member',
      duration: '1h',
      reason: 'INC-42',
      breakGlass: false,
    });
  });

  it('reads break-glass as the one-line form with the flag, and insists on a reason', () => {
    expect(parseAccessCommand('Break-Glass prod-pg app.public read 1h prod down INC-7')).toEqual({
      kind: 'request',
      integration: 'prod-pg',
      database: 'app',
      schema: 'public',
      permission: 'read',
      duration: '1h',
      reason: 'prod down INC-7',
      breakGlass: true,
    });
    const bare = parseAccessCommand('break-glass prod-pg app.public read 1h');
    expect(bare.kind).toBe('malformed');
    if (bare.kind === 'malformed') expect(bare.problem).toContain('a reason');
    expect(parseAccessCommand('break-glass prod-pg app read 1h why').kind).toBe('malformed');
  });

  it.each([
    ['pg app read', 'expected an integration'],
    ['pg app read 2h why', 'is not <database>.<schema>'],
    ['pg .public read 2h why', 'is not <database>.<schema>'],
    ['pg app. read 2h why', 'is not <database>.<schema>'],
    ['pg a.b.c read 2h why', 'is not <database>.<schema>'],
  ])('calls %j malformed', (text, problem) => {
    const parsed = parseAccessCommand(text);
    expect(parsed.kind).toBe('malformed');
    if (parsed.kind === 'malformed') expect(parsed.problem).toContain(problem);
  });
});

describe('listText', () => {
  const view = (over: Partial<RequestView>): RequestView => ({
    id: 'r1',
    requester: '<@U1>',
    integration: 'pg',
    database: 'app',
    schema: 'public',
    permission: 'read',
    durationSeconds: 1800,
    justification: null,
    status: 'PENDING',
    expiresAt: null,
    isExtension: false,
    ...over,
  });

  it('shows time left for active access and the duration otherwise', () => {
    const now = new Date('2026-01-01T10:00:00Z');
    const text = listText(
      [
        view({ status: 'ACTIVE', expiresAt: new Date('2026-01-01T11:30:00Z') }),
        view({ status: 'PENDING', durationSeconds: 7200 }),
      ],
      now,
    );
    // Times in Slack's date formatting (shown in the reader's zone), states in words.
    expect(text).toContain(
      '*read* on pg › app.public for 30m · active until <!date^1767267000^{date_short_pretty} {time}|2026-01-01 11:30 UTC> (1h 30m left)',
    );
    expect(text).toContain('*read* on pg › app.public for 2h · waiting for approval');
    expect(text).not.toMatch(/ACTIVE|PENDING/);
  });

  it('says so when there is nothing', () => {
    expect(listText([], new Date())).toContain('no access requests');
  });
});

describe('listMessage', () => {
  it('puts Cancel next to each pending request, Extend and Revoke next to each active access', () => {
    const base = {
      requester: '<@U1>',
      integration: 'pg',
      database: 'app',
      schema: 'public',
      permission: 'read',
      durationSeconds: 1800,
      justification: null,
      isExtension: false,
    };
    const m = listMessage(
      [
        { ...base, id: 'a1', status: 'ACTIVE', expiresAt: new Date(Date.now() + 60_000) },
        { ...base, id: 'p1', status: 'PENDING', expiresAt: null },
      ],
      new Date(),
    );
    const buttons = m.blocks.flatMap((b: any) => b.elements ?? []);
    expect(buttons.map((b: any) => [b.action_id, b.value])).toEqual([
      ['doorman_cancel', 'p1'],
      ['doorman_extend', 'a1'],
      ['doorman_revoke', 'a1'],
    ]);
  });
});
