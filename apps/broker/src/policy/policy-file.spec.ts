import { parsePolicy, PolicyFileError } from './policy-file';

const valid = `version: 1
users:
  - email: Alice@Example.com
    name: Alice
groups:
  - name: dba
    members: [alice@example.com]
connectors:
  - name: site-a
integrations:
  - name: prod
    connector: site-a
    host: db.internal
    databases: [app]
flows:
  - name: app-read
    integration: prod
    requestors: { users: [alice@example.com] }
    resources: [{ database: app, schema: public }]
    permissions: [read]
    steps:
      - approvers: { groups: [dba] }
    defaultDuration: 1h
    maxDuration: 8h
`;

function errorsOf(text: string) {
  try {
    parsePolicy(text);
  } catch (e) {
    if (e instanceof PolicyFileError) return e.errors;
    throw e;
  }
  throw new Error('expected the file to be refused');
}

describe('policy files', () => {
  it('parses a valid file with defaults, emails lower-cased', () => {
    const { policy } = parsePolicy(valid);
    expect(policy.users[0]).toEqual({
      email: 'alice@example.com',
      name: 'Alice',
      roles: ['requester'],
    });
    expect(policy.integrations[0]).toMatchObject({ port: 5432, sslMode: 'prefer', cleanupDays: 0 });
    expect(policy.flows[0].steps[0]).toMatchObject({ quorum: 1, onTimeout: 'deny' });
  });

  it('takes a step-up rule for approvers and requesters; a rule asking nothing is refused', () => {
    const stepUp = `${valid}    approverAuthentication: { maxAgeMinutes: 10, amr: [otp, hwk] }
    requesterAuthentication: { acr: ['urn:mfa'] }
`;
    expect(parsePolicy(stepUp).policy.flows[0]).toMatchObject({
      approverAuthentication: { maxAgeMinutes: 10, amr: ['otp', 'hwk'] },
      requesterAuthentication: { acr: ['urn:mfa'] },
    });
    expect(errorsOf(`${valid}    approverAuthentication: {}\n`)).toEqual([
      expect.objectContaining({
        path: 'flows.0.approverAuthentication',
        message: expect.stringContaining('give maxAgeMinutes, acr or amr'),
      }),
    ]);
  });

  it('takes an existing role as a resource, permissions then optional', () => {
    const withRole = valid.replace(
      '    resources: [{ database: app, schema: public }]\n    permissions: [read]\n',
      '    resources: [{ role: pg_monitor, owners: [alice@example.com] }]\n',
    );
    expect(withRole).not.toBe(valid);
    expect(parsePolicy(withRole).policy.flows[0]).toMatchObject({
      resources: [{ role: 'pg_monitor', owners: ['alice@example.com'] }],
    });
  });

  it('names the line of a bad value', () => {
    const errors = errorsOf(valid.replace('maxDuration: 8h', 'maxDuration: forever'));
    expect(errors).toEqual([
      { line: 24, path: 'flows.0.maxDuration', message: expect.stringContaining('duration') },
    ]);
  });

  it('checks an auto-approval window as the REST API does, naming the line', () => {
    const errors = errorsOf(
      valid.replace(
        '    defaultDuration: 1h\n',
        '    autoApprove:\n      window: { days: [mon], start: "25:00", end: "18:00", timeZone: Mars/Olympus }\n    defaultDuration: 1h\n',
      ),
    );
    expect(errors).toEqual([
      { line: 24, path: 'flows.0.autoApprove.window.start', message: 'must be HH:MM (24h)' },
      {
        line: 24,
        path: 'flows.0.autoApprove.window.timeZone',
        message: expect.stringContaining('IANA time zone'),
      },
    ]);
  });

  it('names the line of an unknown key and of a bad enum', () => {
    const errors = errorsOf(
      valid
        .replace('    host: db.internal', '    hots: db.internal')
        .replace('permissions: [read]', 'permissions: [root]'),
    );
    // 11: the integration now lacks `host`; 13: the unknown key `hots`; 20: the bad permission.
    expect(errors.map((e) => e.line).sort((a, b) => a! - b!)).toEqual([11, 13, 20]);
  });

  it('a group follows a Slack user group or lists members, not both', () => {
    const linked = valid.replace('    members: [alice@example.com]', '    slackUsergroup: S0DBA');
    expect(parsePolicy(linked).policy.groups[0]).toEqual({
      name: 'dba',
      members: [],
      slackUsergroup: 'S0DBA',
    });
    const both = valid.replace(
      '    members: [alice@example.com]',
      '    members: [alice@example.com]\n    slackUsergroup: S0DBA',
    );
    expect(errorsOf(both)).toEqual([
      { line: 7, path: 'groups.0.members', message: 'give members or slackUsergroup, not both' },
    ]);
    const bad = valid.replace('    members: [alice@example.com]', '    slackUsergroup: dba-team');
    expect(errorsOf(bad)[0]).toMatchObject({ line: 7, path: 'groups.0.slackUsergroup' });
  });

  it('names the line of a YAML syntax error', () => {
    const errors = errorsOf('version: 1\nusers:\n  - email: [unclosed\n');
    expect(errors[0].line).toBeGreaterThanOrEqual(3);
  });

  it('refuses duplicates by name, at the second one', () => {
    const errors = errorsOf(
      valid.replace(
        'connectors:\n  - name: site-a',
        'connectors:\n  - name: site-a\n  - name: site-a',
      ),
    );
    expect(errors).toEqual([
      { line: 10, path: 'connectors.1', message: 'duplicate connector site-a' },
    ]);
  });

  it('refuses an alias without its anchor, naming its line', () => {
    expect(errorsOf('version: 1\ngroups:\n  - name: *nowhere\n')).toEqual([
      { line: 3, path: '', message: 'alias *nowhere has no anchor &nowhere before it' },
    ]);
  });

  it('refuses an alias bomb (billion laughs) at the first alias of an alias, quickly', () => {
    const rows = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (const [x, y] of ['ba', 'cb', 'dc', 'ed', 'fe', 'gf', 'hg', 'ih'])
      rows.push(`${x}: &${x} [${Array(9).fill(`*${y}`).join(', ')}]`);
    const started = Date.now();
    const errors = errorsOf(`version: 1\nx:\n  ${rows.join('\n  ')}\n`);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(errors).toEqual([
      { line: 5, path: '', message: expect.stringMatching(/too many nodes.*alias bomb.*\*b$/) },
    ]);
  });

  it('refuses an alias inside the node it names (a cycle), naming its line', () => {
    expect(errorsOf('version: 1\nx: &a\n  b: [1, *a]\n')).toEqual([
      { line: 3, path: '', message: 'alias *a is inside the node it names (a cycle)' },
    ]);
  });

  it('still takes a few plain aliases', () => {
    const { policy } = parsePolicy(
      valid.replace(
        'requestors: { users: [alice@example.com] }',
        'requestors: { users: &who [alice@example.com] }',
      ) + '    breakGlass: { users: *who }\n',
    );
    expect(policy.flows[0].breakGlass?.users).toEqual(['alice@example.com']);
  });

  it.each([
    ['a NUL', '"bad\\0name"', /NUL/],
    ['a lone surrogate', '"bad\\ud800name"', /surrogate/],
  ])('refuses %s written as an escape, naming the line and the field', (_what, yaml, why) => {
    const errors = errorsOf(valid.replace('  - name: dba', `  - name: ${yaml}`));
    expect(errors).toEqual([
      { line: 6, path: 'groups.0.name', message: expect.stringMatching(why) },
    ]);
  });

  it('refuses an empty role name at its line', () => {
    const errors = errorsOf(
      valid.replace(
        'resources: [{ database: app, schema: public }]',
        'resources:\n      - role: ""',
      ),
    );
    expect(errors[0]).toMatchObject({ line: 20 });
  });
});
