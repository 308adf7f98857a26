import { ConnectorMessageSchema, SESSION_LIMITS } from '@doorman/contracts';
import { readManagedSessions } from '../postgres/session-sql';
import { toSessionsReport, type SessionRow } from './session-observer.service';

const CONNECTOR = '00000000-0000-4000-8000-0000000000c1';
const INTEGRATION = '00000000-0000-4000-8000-0000000000f1';
const NOW = Date.parse('2026-12-01T10:00:00Z');

const row = (pid: number, over: Partial<SessionRow> = {}): SessionRow => ({
  now_ms: NOW,
  pid,
  role: 'alice_doorman',
  // backend_start carries microseconds: the report keeps whole milliseconds.
  started_ms: Date.parse('2026-12-01T09:59:00Z') + 0.731,
  database: 'app',
  client_addr: '10.0.0.7',
  application_name: 'psql',
  ...over,
});

describe('toSessionsReport', () => {
  it('maps each backend to a session, at the target clock, and parses as a connector message', () => {
    const report = toSessionsReport(CONNECTOR, INTEGRATION, [
      row(101),
      row(102, { client_addr: null, database: null, application_name: null }),
    ]);
    expect(report).toEqual({
      v: 1,
      kind: 'sessions',
      connectorId: CONNECTOR,
      integrationId: INTEGRATION,
      at: '2026-12-01T10:00:00.000Z',
      complete: true,
      sessions: [
        {
          role: 'alice_doorman',
          pid: 101,
          startedAt: '2026-12-01T09:59:00.000Z',
          database: 'app',
          clientAddr: '10.0.0.7',
          applicationName: 'psql',
        },
        {
          role: 'alice_doorman',
          pid: 102,
          startedAt: '2026-12-01T09:59:00.000Z',
          database: null,
          clientAddr: null,
          applicationName: '',
        },
      ],
    });
    expect(ConnectorMessageSchema.safeParse(report).success).toBe(true);
  });

  it('no session is still a report (the clock row alone), without an integration for one target', () => {
    const report = toSessionsReport(CONNECTOR, undefined, [
      {
        now_ms: NOW,
        pid: null,
        role: null,
        started_ms: null,
        database: null,
        client_addr: null,
        application_name: null,
      },
    ]);
    expect(report.sessions).toEqual([]);
    expect(report.complete).toBe(true);
    expect(report.at).toBe('2026-12-01T10:00:00.000Z');
    expect('integrationId' in report).toBe(false);
  });

  it('more sessions than the limit: clipped and marked incomplete (absent ones are not ended)', () => {
    const report = toSessionsReport(CONNECTOR, INTEGRATION, [row(1), row(2), row(3)], 2);
    expect(report.sessions.map((s) => s.pid)).toEqual([1, 2]);
    expect(report.complete).toBe(false);
  });

  it('asks for one row more than the limit, the marker role bound, never interpolated', () => {
    const s = readManagedSessions('doorman_managed', SESSION_LIMITS.sessions + 1);
    expect(s.values).toEqual(['doorman_managed', SESSION_LIMITS.sessions + 1]);
    expect(s.text).not.toContain('doorman_managed');
    expect(s.text).toContain('pg_stat_activity');
    expect(() => readManagedSessions('m', 0)).toThrow(RangeError);
  });
});
