import { firstLoginOutcome, hardBound, type FirstLoginGrant } from './first-login.policy';

const at = (iso: string) => new Date(iso);
// Granted at 10:00, one hour of access, to be first used within 30 minutes.
const grant: FirstLoginGrant = {
  grantedAt: at('2026-12-01T10:00:00Z'),
  durationSeconds: 3600,
  waitSeconds: 1800,
};

describe('firstLoginOutcome', () => {
  it('the hard bound is approval + wait + duration', () => {
    expect(hardBound(grant)).toEqual(at('2026-12-01T11:30:00Z'));
  });

  it('a first login within the wait: the hour counts from it', () => {
    expect(
      firstLoginOutcome(grant, at('2026-12-01T10:20:00Z'), at('2026-12-01T10:20:15Z')),
    ).toEqual({
      kind: 'first-use',
      firstUsedAt: at('2026-12-01T10:20:00Z'),
      expiresAt: at('2026-12-01T11:20:00Z'),
    });
  });

  it('a first login at the last moment ends at the hard bound, never past it', () => {
    const out = firstLoginOutcome(grant, at('2026-12-01T10:30:00Z'), at('2026-12-01T10:30:10Z'));
    expect(out).toMatchObject({ kind: 'first-use', expiresAt: at('2026-12-01T11:30:00Z') });
  });

  it('a session already open before the grant counts from the grant', () => {
    const out = firstLoginOutcome(grant, at('2026-12-01T09:00:00Z'), at('2026-12-01T10:00:10Z'));
    expect(out).toMatchObject({
      kind: 'first-use',
      firstUsedAt: at('2026-12-01T10:00:00Z'),
      expiresAt: at('2026-12-01T11:00:00Z'),
    });
  });

  it('an extension approved while it waited is kept on top of first login + duration', () => {
    const extended = { ...grant, expiresAt: at('2026-12-01T12:00:00Z') }; // bound + 30 min
    expect(
      firstLoginOutcome(extended, at('2026-12-01T10:10:00Z'), at('2026-12-01T10:10:05Z')),
    ).toMatchObject({ kind: 'first-use', expiresAt: at('2026-12-01T11:40:00Z') });
  });

  it('an end a rule change cut is never lengthened by the first login', () => {
    const cut = { ...grant, expiresAt: at('2026-12-01T10:45:00Z') };
    expect(
      firstLoginOutcome(cut, at('2026-12-01T10:10:00Z'), at('2026-12-01T10:10:05Z')),
    ).toMatchObject({ kind: 'first-use', expiresAt: at('2026-12-01T10:45:00Z') });
  });

  it('no session yet, within the wait: waiting', () => {
    expect(firstLoginOutcome(grant, null, at('2026-12-01T10:29:59Z'))).toEqual({ kind: 'waiting' });
  });

  it('no session by the end of the wait: unused', () => {
    expect(firstLoginOutcome(grant, null, at('2026-12-01T10:30:00Z'))).toEqual({
      kind: 'unused',
      deadline: at('2026-12-01T10:30:00Z'),
    });
  });

  it('a session first seen after the wait does not start the clock: unused', () => {
    expect(
      firstLoginOutcome(grant, at('2026-12-01T10:31:00Z'), at('2026-12-01T10:31:05Z')),
    ).toMatchObject({ kind: 'unused' });
  });
});
